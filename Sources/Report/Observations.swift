import Core
import Foundation
import Plot

/// Sentences a reader can check against the figure, written from the data.
public enum Observations {
    static func score(_ v: Double) -> String { String(format: "%.2f", v) }

    static func heads(_ list: [(HeadIndex, Double)]) -> String {
        list.map { "\($0.0) (\(score($0.1)))" }.joined(separator: ", ")
    }

    /// "0, 10–12, 14" from a set of layers.
    static func layerRanges(_ layers: Set<Int>) -> String {
        let sorted = layers.sorted()
        var parts: [String] = []
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])–\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    /// Where the map's high scores are, and how they meet the marked heads.
    public static func panel(title: String, values: [[Double]], markers: MarkerSet?) -> [String] {
        var out: [String] = []
        let ordered = ScoreOrder.ordered(values)
        let high = ordered.filter { $0.score >= ReportSettings.highScore }
        let veryHigh = ordered.filter { $0.score >= ReportSettings.veryHighScore }
        let total = ordered.count
        if high.isEmpty {
            out.append("\(title): no head reaches \(ReportSettings.highScore); the best is head \(ordered[0].head) (\(score(ordered[0].score))).")
        } else {
            let layers = Set(high.map(\.head.layer))
            out.append("\(title): \(high.count) of \(total) heads score at least \(ReportSettings.highScore) and \(veryHigh.count) at least \(ReportSettings.veryHighScore); they sit in layer\(layers.count == 1 ? "" : "s") \(layerRanges(layers)). The best is head \(ordered[0].head) (\(score(ordered[0].score))).")
        }
        guard let markers, !markers.allHeads.isEmpty else { return out }
        let marked = markers.allHeads.sorted()
        let label = markers.classes.map(\.label).joined(separator: " / ")
        let markedHigh = marked.filter { values[$0.layer][$0.head] >= ReportSettings.highScore }.map { ($0, values[$0.layer][$0.head]) }
        let markedLow = marked.filter { values[$0.layer][$0.head] < ReportSettings.highScore }.map { ($0, values[$0.layer][$0.head]) }
        var sentence = "Of the \(marked.count) marked heads (\(label)), \(markedHigh.count) score at least \(ReportSettings.highScore)"
        sentence += markedHigh.isEmpty ? "" : ": \(heads(markedHigh))"
        sentence += markedLow.isEmpty ? "." : "; \(markedHigh.isEmpty ? "all" : "the other \(markedLow.count)") score low: \(heads(markedLow))."
        out.append(sentence)
        let unmarked = high.filter { !markers.allHeads.contains($0.head) }.map { ($0.head, $0.score) }
        if unmarked.isEmpty {
            if !high.isEmpty { out.append("Every head scoring at least \(ReportSettings.highScore) is marked.") }
        } else {
            out.append("High-scoring heads that are not marked — candidates the circuit paper did not name: \(heads(unmarked)).")
        }
        return out
    }

    /// Whether two maps pick the same heads.
    public static func comparison(_ a: (title: String, values: [[Double]]), _ b: (title: String, values: [[Double]]), n: Int) -> (sentence: String, spearman: Double?, jaccard: Double, shared: Int) {
        let rho = Statistics.spearman(a.values.flatMap { $0 }, b.values.flatMap { $0 })
        let topA = ScoreOrder.top(a.values, n), topB = ScoreOrder.top(b.values, n)
        let shared = topA.intersection(topB).count
        let j = Statistics.jaccard(topA, topB)
        let verdict = j >= ReportSettings.largelyTheSame ? "largely the same heads" : j > ReportSettings.partlyTheSame ? "partly the same heads" : "different heads"
        let rhoText = rho.map { String(format: "%.2f", $0) } ?? "undefined (a map is constant)"
        let sentence = "The \(a.title) and \(b.title) maps pick \(verdict): their top \(n) heads share \(shared) (Jaccard \(String(format: "%.2f", j))), and Spearman's ρ over all heads is \(rhoText)."
        return (sentence, rho, j, shared)
    }
}
