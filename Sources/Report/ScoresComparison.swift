import Analysis
import Core
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
        shapeMismatch == nil && onlyInActual.isEmpty && onlyInExpected.isEmpty
            && differences.allSatisfy { $0.heads.isEmpty && $0.note == nil }
    }

    public init(actual: ScoresDocument, expected: ScoresDocument) {
        shapeMismatch =
            actual.shape == expected.shape
            ? nil
            : "model shape \(actual.shape.layers)×\(actual.shape.heads) (d \(actual.shape.dModel), "
                + "vocab \(actual.shape.vocab)) vs expected \(expected.shape.layers)×\(expected.shape.heads) "
                + "(d \(expected.shape.dModel), vocab \(expected.shape.vocab))"
        let actualNames = actual.relations.map(\.name)
        let expectedNames = expected.relations.map(\.name)
        onlyInActual = actualNames.filter { !expectedNames.contains($0) }
        onlyInExpected = expectedNames.filter { !actualNames.contains($0) }
        differences = actual.relations.compactMap { a in
            guard let e = expected.relation(named: a.name) else { return nil }
            let note =
                a.skipped != e.skipped || a.pairsKept != e.pairsKept || a.k != e.k
                ? "k \(a.k) vs \(e.k), pairs kept \(a.pairsKept) vs \(e.pairsKept), skipped \(a.skipped) "
                    + "vs \(e.skipped)"
                : nil
            // Heads are compared whenever both have a grid of the same shape,
            // also when k or the kept pairs changed: which heads moved is the question.
            guard !a.skipped, !e.skipped, a.hits.count == e.hits.count,
                zip(a.hits, e.hits).allSatisfy({ $0.count == $1.count })
            else {
                return RelationDifference(
                    name: a.name, maxAbsoluteDifference: note == nil ? 0 : .infinity, heads: [], note: note)
            }
            var heads: [(HeadIndex, Int, Int)] = []
            var maxDifference = 0.0
            for l in 0..<a.hits.count {
                for h in 0..<a.hits[l].count {
                    let d = a.hits[l][h] - e.hits[l][h]
                    let ds = a.suppressionHits[l][h] - e.suppressionHits[l][h]
                    let dScore = abs(a.scores[l][h] - e.scores[l][h])
                    let dSuppression = abs(a.suppression[l][h] - e.suppression[l][h])
                    maxDifference = max(maxDifference, dScore, dSuppression)
                    if d != 0 || ds != 0 || dScore != 0 || dSuppression != 0 {
                        heads.append((HeadIndex(layer: l, head: h), d, ds))
                    }
                }
            }
            return RelationDifference(name: a.name, maxAbsoluteDifference: maxDifference, heads: heads, note: note)
        }
    }

    /// One line per relation that differs: its note, and the heads that changed by how many pairs.
    public var lines: [String] {
        differences.compactMap { d -> String? in
            guard d.note != nil || !d.heads.isEmpty else { return nil }
            var line = "\(d.name): "
            if let note = d.note { line += note + (d.heads.isEmpty ? "" : "; ") }
            if !d.heads.isEmpty {
                let shown = d.heads.prefix(8).map { h -> String in
                    var parts: [String] = []
                    func pairs(_ n: Int, _ what: String) -> String {
                        String(format: "%+d ", n) + what + (abs(n) == 1 ? "" : "s")
                    }
                    if h.pairs != 0 { parts.append(pairs(h.pairs, "pair")) }
                    if h.suppressionPairs != 0 { parts.append(pairs(h.suppressionPairs, "suppression pair")) }
                    let what = parts.isEmpty ? "score changed with the kept pairs" : parts.joined(separator: ", ")
                    return "\(h.head) (\(what))"
                }
                line +=
                    "\(d.heads.count) head\(d.heads.count == 1 ? " differs" : "s differ"), max "
                    + "|Δscore| \(String(format: "%.3g", d.maxAbsoluteDifference)): "
                    + "\(shown.joined(separator: ", "))\(d.heads.count > 8 ? ", …" : "")"
            }
            return line
        }
    }

    /// A readable account, one line per relation that differs.
    public var summary: String {
        var out: [String] = []
        if let shapeMismatch { out.append(shapeMismatch) }
        if !onlyInActual.isEmpty { out.append("only in the actual scores: \(onlyInActual.joined(separator: ", "))") }
        if !onlyInExpected.isEmpty {
            out.append("only in the expected scores: \(onlyInExpected.joined(separator: ", "))")
        }
        out += lines
        return out.isEmpty ? "scores match" : out.joined(separator: "\n")
    }
}
