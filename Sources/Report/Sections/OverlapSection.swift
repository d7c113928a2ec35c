import Core
import Foundation

/// How one map meets one marker set: the marked heads' scores and ranks, and
/// the overlap statistics.
public struct OverlapSection {
    public struct MarkedRow {
        public let head: String
        public let `class`: String
        public let score: String
        public let rank: String
    }
    public struct Metric {
        public let name: String
        public let value: String
    }
    /// Statistics of one class of a marker set with several.
    public struct ClassRow {
        public let label: String
        public let heads: Int
        public let above: Int
        public let medianRank: String
        public let auroc: String
    }

    public let relation: String
    public let markers: String
    public let citation: String
    public let approximate: Bool
    public let marked: [MarkedRow]
    public let metrics: [Metric]
    /// Set when the top-N statistics are left out, saying why.
    public let note: String
    public let hasNote: Bool
    public let classes: [ClassRow]
    public let hasClasses: Bool

    public init(label: String, values: [[Double]], markers set: MarkerSet) {
        // Controls are listed with the marked heads but are not positives.
        let s = OverlapStatistics(values: values, marked: set.positiveHeads)
        func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
        let classOf = Dictionary(
            set.classes.flatMap { c in c.heads.map { ($0, c.isControl ? "\(c.label) (control)" : c.label) } },
            uniquingKeysWith: { a, _ in a })
        relation = label
        markers = set.classes.map(\.label).joined(separator: ", ")
        citation = set.citation
        approximate = set.approximate
        let all = OverlapStatistics(values: values, marked: set.allHeads)
        marked = all.marked.map {
            MarkedRow(
                head: $0.head.description, class: classOf[$0.head] ?? "", score: f($0.score),
                rank: $0.rankText(of: all.totalHeads))
        }
        let positives = set.classes.filter { !$0.isControl }
        classes =
            positives.count < 2
            ? []
            : positives.map { c in
                let cs = OverlapStatistics(values: values, marked: Set(c.heads))
                let ranks = cs.marked.map(\.rank).sorted()
                return ClassRow(
                    label: c.label, heads: Set(c.heads).count, above: cs.overlapAboveThreshold,
                    medianRank: ranks.isEmpty ? "n/a" : "\(ranks[ranks.count / 2])", auroc: f(cs.auroc))
            }
        hasClasses = !classes.isEmpty
        guard s.aboveZero > 0 else {
            note = "No head of this map scores above zero, so the top-N statistics are left out."
            hasNote = true
            metrics = [Metric(name: "AUROC of the score as a detector of marked heads", value: f(s.auroc))]
            return
        }
        note =
            s.topN.count < s.marked.count
            ? "Only \(Plural.count(s.aboveZero, "head")) of this map \(s.aboveZero == 1 ? "scores" : "score") above "
                + "zero, so its top-N holds \(s.topN.count), not \(s.marked.count): heads at zero do not fill it."
            : ""
        hasNote = !note.isEmpty
        metrics = [
            Metric(name: "Precision of the top \(s.topN.count) (N = marked heads)", value: f(s.precisionAtN)),
            Metric(name: "Recall of the top \(s.topN.count)", value: f(s.recallAtN)),
            Metric(
                name: "Precision at score ≥ \(f(s.threshold)) (\(s.aboveThreshold) heads)",
                value: f(s.precisionAboveThreshold)),
            Metric(name: "Recall at score ≥ \(f(s.threshold))", value: f(s.recallAboveThreshold)),
            Metric(name: "AUROC of the score as a detector of marked heads", value: f(s.auroc)),
            Metric(
                name: "Hypergeometric p of the top-\(s.topN.count) overlap (\(s.overlapAtN) shared)",
                value: String(format: "%.2g", s.hypergeometricP)),
        ]
    }
}
