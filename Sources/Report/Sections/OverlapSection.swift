import Core
import Foundation

/// How one map meets one marker set: the marked heads' scores and ranks, and
/// the overlap statistics.
struct OverlapSection {
    struct MarkedRow { let head: String; let `class`: String; let score: String; let rank: String }
    struct Metric { let name: String; let value: String }

    let relation: String
    let markers: String
    let citation: String
    let approximate: Bool
    let marked: [MarkedRow]
    let metrics: [Metric]

    init(label: String, values: [[Double]], markers set: MarkerSet) {
        let s = OverlapStatistics(values: values, marked: set.allHeads)
        func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
        let classOf = Dictionary(set.classes.flatMap { c in c.heads.map { ($0, c.label) } }, uniquingKeysWith: { a, _ in a })
        relation = label
        markers = set.classes.map(\.label).joined(separator: ", ")
        citation = set.citation
        approximate = set.approximate
        marked = s.marked.map { MarkedRow(head: $0.head.description, class: classOf[$0.head] ?? "", score: f($0.score), rank: "\($0.rank) of \(s.totalHeads)") }
        metrics = [
            Metric(name: "Precision of the top \(s.topN.count) (N = marked heads)", value: f(s.precisionAtN)),
            Metric(name: "Recall of the top \(s.topN.count)", value: f(s.recallAtN)),
            Metric(name: "Precision at score ≥ \(f(s.threshold)) (\(s.aboveThreshold) heads)", value: f(s.precisionAboveThreshold)),
            Metric(name: "Recall at score ≥ \(f(s.threshold))", value: f(s.recallAboveThreshold)),
            Metric(name: "AUROC of the score as a detector of marked heads", value: f(s.auroc)),
            Metric(name: "Hypergeometric p of the top-\(s.topN.count) overlap (\(s.overlapAtN) shared)", value: String(format: "%.2g", s.hypergeometricP)),
        ]
    }
}
