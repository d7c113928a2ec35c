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
            out.append(
                "\(title): no head reaches \(ReportSettings.highScore); the best is head \(ordered[0].head) "
                    + "(\(score(ordered[0].score)))."
            )
        } else {
            let layers = Set(high.map(\.head.layer))
            out.append(
                "\(title): \(high.count) of \(Plural.count(total, "head")) \(high.count == 1 ? "scores" : "score") at "
                    + "least \(ReportSettings.highScore) and \(veryHigh.count) at "
                    + "least \(ReportSettings.veryHighScore); \(high.count == 1 ? "it sits" : "they sit") in "
                    + "layer\(layers.count == 1 ? "" : "s") \(layerRanges(layers)). The best is "
                    + "head \(ordered[0].head) (\(score(ordered[0].score)))."
            )
        }
        guard let markers, !markers.positiveHeads.isEmpty else { return out }
        let marked = markers.positiveHeads.sorted()
        let label = markers.classes.filter { !$0.isControl }.map(\.label).joined(separator: " / ")
        let markedHigh = marked.filter { values[$0.layer][$0.head] >= ReportSettings.highScore }.map {
            ($0, values[$0.layer][$0.head])
        }
        let markedLow = marked.filter { values[$0.layer][$0.head] < ReportSettings.highScore }.map {
            ($0, values[$0.layer][$0.head])
        }
        var sentence =
            marked.count == 1
            ? "The one marked head (\(label)) " : "Of the \(marked.count) marked heads (\(label)), \(markedHigh.count) "
        let verb =
            marked.count == 1
            ? (markedHigh.isEmpty ? "scores below" : "scores at least")
            : markedHigh.count == 1 ? "scores at least" : "score at least"
        sentence += "\(verb) \(ReportSettings.highScore)"
        if marked.count == 1 {
            sentence += ": \(heads(markedHigh + markedLow))."
        } else {
            sentence += markedHigh.isEmpty ? "" : ": \(heads(markedHigh))"
            let others =
                markedHigh.isEmpty ? "all" : markedLow.count == 1 ? "the other one" : "the other \(markedLow.count)"
            let lowVerb = markedLow.count == 1 && !markedHigh.isEmpty ? "scores" : "score"
            sentence += markedLow.isEmpty ? "." : "; \(others) \(lowVerb) low: \(heads(markedLow))."
        }
        out.append(sentence)
        let controls = markers.classes.filter(\.isControl).flatMap(\.heads).sorted()
        if !controls.isEmpty {
            let scored = controls.map { ($0, values[$0.layer][$0.head]) }
            out.append(
                "Control heads (\(markers.classes.filter(\.isControl).map(\.label).joined(separator: " / "))), not "
                    + "counted as marked: \(heads(scored))."
            )
        }
        let unmarked = high.filter { !markers.positiveHeads.contains($0.head) }.map { ($0.head, $0.score) }
        if unmarked.isEmpty {
            if !high.isEmpty { out.append("Every head scoring at least \(ReportSettings.highScore) is marked.") }
        } else {
            out.append(
                "High-scoring heads that are not marked — candidates \(markers.attribution) did not "
                    + "name: \(heads(unmarked))."
            )
        }
        return out
    }

    /// Why two maps cannot be compared by their top `n`: one has fewer heads above zero.
    public static func tooFewToCompare(
        _ a: (title: String, values: [[Double]]), _ b: (title: String, values: [[Double]]), n: Int
    ) -> String? {
        for map in [a, b] {
            let above = ScoreOrder.countAboveZero(map.values)
            if above < n {
                return
                    "The \(a.title) and \(b.title) maps are not compared: \(map.title) "
                    + "has \(above == 0 ? "no head" : "only \(Plural.count(above, "head"))") above zero, fewer "
                    + "than the top \(n) that would be compared."
            }
        }
        return nil
    }

    /// Whether two maps pick the same heads.
    public static func comparison(
        _ a: (title: String, values: [[Double]]), _ b: (title: String, values: [[Double]]), n: Int
    ) -> (sentence: String, spearman: Double?, jaccard: Double, shared: Int) {
        let rho = Statistics.spearman(a.values.flatMap { $0 }, b.values.flatMap { $0 })
        let topA = ScoreOrder.top(a.values, n)
        let topB = ScoreOrder.top(b.values, n)
        let shared = topA.intersection(topB).count
        let j = Statistics.jaccard(topA, topB)
        let verdict =
            j >= ReportSettings.largelyTheSame
            ? "largely the same heads" : j > ReportSettings.partlyTheSame ? "partly the same heads" : "different heads"
        let rhoText = rho.map { String(format: "%.2f", $0) } ?? "undefined (a map is constant)"
        let sentence =
            "The \(a.title) and \(b.title) maps pick \(verdict): their top \(Plural.count(n, "head")) share \(shared) "
            + "(Jaccard \(String(format: "%.2f", j))), and Spearman's ρ over all heads is \(rhoText)."
        return (sentence, rho, j, shared)
    }
}
