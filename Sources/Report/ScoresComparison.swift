import Core
import Analysis
import Foundation
import Plot

/// What changed between two scores files, relation by relation.
public struct ScoresComparison: Sendable {
    public struct RelationDifference: Sendable {
        public let name: String
        public let maxAbsoluteDifference: Double
        /// Heads whose score or suppression score differ, with the change in
        /// matching pairs (actual − expected).
        public let heads: [(head: HeadIndex, pairs: Int, suppressionPairs: Int)]
        public let note: String?
    }

    public let differences: [RelationDifference]
    public let onlyInActual: [String]
    public let onlyInExpected: [String]
    public let shapeMismatch: String?

    public var matches: Bool {
        shapeMismatch == nil && onlyInActual.isEmpty && onlyInExpected.isEmpty && differences.allSatisfy { $0.heads.isEmpty && $0.note == nil }
    }

    public init(actual: ScoresDocument, expected: ScoresDocument) {
        shapeMismatch = actual.shape == expected.shape ? nil
            : "model shape \(actual.shape.layers)×\(actual.shape.heads) (d \(actual.shape.dModel), vocab \(actual.shape.vocab)) vs expected \(expected.shape.layers)×\(expected.shape.heads) (d \(expected.shape.dModel), vocab \(expected.shape.vocab))"
        let actualNames = actual.relations.map(\.name), expectedNames = expected.relations.map(\.name)
        onlyInActual = actualNames.filter { !expectedNames.contains($0) }
        onlyInExpected = expectedNames.filter { !actualNames.contains($0) }
        differences = actual.relations.compactMap { a in
            guard let e = expected.relation(named: a.name) else { return nil }
            if a.skipped != e.skipped || a.pairsKept != e.pairsKept || a.k != e.k {
                return RelationDifference(name: a.name, maxAbsoluteDifference: .infinity, heads: [],
                                          note: "k \(a.k) vs \(e.k), pairs kept \(a.pairsKept) vs \(e.pairsKept), skipped \(a.skipped) vs \(e.skipped)")
            }
            guard !a.skipped, a.hits.count == e.hits.count else {
                return RelationDifference(name: a.name, maxAbsoluteDifference: 0, heads: [], note: nil)
            }
            var heads: [(HeadIndex, Int, Int)] = []
            var maxDifference = 0.0
            for l in 0..<a.hits.count {
                for h in 0..<a.hits[l].count {
                    let d = a.hits[l][h] - e.hits[l][h], ds = a.suppressionHits[l][h] - e.suppressionHits[l][h]
                    maxDifference = max(maxDifference, abs(a.scores[l][h] - e.scores[l][h]), abs(a.suppression[l][h] - e.suppression[l][h]))
                    if d != 0 || ds != 0 { heads.append((HeadIndex(layer: l, head: h), d, ds)) }
                }
            }
            return RelationDifference(name: a.name, maxAbsoluteDifference: maxDifference, heads: heads, note: nil)
        }
    }

    /// A readable account, one line per relation that differs.
    public var summary: String {
        var lines: [String] = []
        if let shapeMismatch { lines.append(shapeMismatch) }
        if !onlyInActual.isEmpty { lines.append("only in the actual scores: \(onlyInActual.joined(separator: ", "))") }
        if !onlyInExpected.isEmpty { lines.append("only in the expected scores: \(onlyInExpected.joined(separator: ", "))") }
        for d in differences {
            if let note = d.note { lines.append("\(d.name): \(note)"); continue }
            guard !d.heads.isEmpty else { continue }
            let shown = d.heads.prefix(8).map { h -> String in
                var parts: [String] = []
                if h.pairs != 0 { parts.append(String(format: "%+d pairs", h.pairs)) }
                if h.suppressionPairs != 0 { parts.append(String(format: "%+d suppression pairs", h.suppressionPairs)) }
                return "\(h.head) (\(parts.joined(separator: ", ")))"
            }
            lines.append("\(d.name): \(d.heads.count) head\(d.heads.count == 1 ? "" : "s") differ, max |Δscore| \(String(format: "%.3g", d.maxAbsoluteDifference)): \(shown.joined(separator: ", "))\(d.heads.count > 8 ? ", …" : "")")
        }
        return lines.isEmpty ? "scores match" : lines.joined(separator: "\n")
    }
}
