import Core
import Foundation
import Plot

/// How well a head map agrees with the heads an earlier paper marked.
public struct OverlapStatistics: Equatable, Sendable {
    public struct MarkedHead: Equatable, Sendable {
        public let head: HeadIndex
        public let score: Double
        /// 1 = best; heads with equal scores share the best rank among them.
        public let rank: Int
        /// The worst rank of its tie group (`rank` when no other head has its score).
        public let lastRank: Int

        /// "13 of 384", or "13–384 of 384 (tied)" when other heads share its score.
        public func rankText(of total: Int) -> String {
            lastRank == rank ? "\(rank) of \(total)" : "\(rank)–\(lastRank) of \(total) (tied)"
        }
    }

    public let totalHeads: Int
    public let marked: [MarkedHead]
    /// The N best heads with a score above zero, N = number of marked heads
    /// (ties broken by layer, head). Heads at zero never fill it: a map with
    /// fewer than N heads above zero has a shorter top-N.
    public let topN: [HeadIndex]
    /// How many heads score above zero.
    public let aboveZero: Int
    public let overlapAtN: Int
    public let threshold: Double
    public let aboveThreshold: Int
    public let overlapAboveThreshold: Int
    /// Probability that a random marked head outscores a random unmarked one (ties ½).
    public let auroc: Double?
    /// P(overlap ≥ observed) if the top N were N heads drawn at random.
    public let hypergeometricP: Double

    public var precisionAtN: Double { topN.isEmpty ? 0 : Double(overlapAtN) / Double(topN.count) }
    public var recallAtN: Double { marked.isEmpty ? 0 : Double(overlapAtN) / Double(marked.count) }
    public var precisionAboveThreshold: Double? {
        aboveThreshold == 0 ? nil : Double(overlapAboveThreshold) / Double(aboveThreshold)
    }
    public var recallAboveThreshold: Double {
        marked.isEmpty ? 0 : Double(overlapAboveThreshold) / Double(marked.count)
    }

    public init(values: [[Double]], marked markedSet: Set<HeadIndex>, threshold: Double = ReportSettings.highScore) {
        let all = ScoreOrder.ordered(values)
        totalHeads = all.count
        let ranks = ScoreOrder.competitionRanks(all)
        var lastRank: [Double: Int] = [:]
        for (i, e) in all.enumerated() { lastRank[e.score] = i + 1 }
        marked = markedSet.sorted().map { h in
            MarkedHead(
                head: h, score: values[h.layer][h.head], rank: ranks[h]!, lastRank: lastRank[values[h.layer][h.head]]!)
        }
        aboveZero = all.filter { $0.score > 0 }.count
        topN = Array(all.filter { $0.score > 0 }.prefix(markedSet.count).map(\.head))
        overlapAtN = topN.filter { markedSet.contains($0) }.count
        self.threshold = threshold
        let above = all.filter { $0.score >= threshold }.map(\.head)
        aboveThreshold = above.count
        overlapAboveThreshold = above.filter { markedSet.contains($0) }.count
        let positives = all.filter { markedSet.contains($0.head) }.map(\.score)
        let negatives = all.filter { !markedSet.contains($0.head) }.map(\.score)
        auroc = Statistics.auroc(positives: positives, negatives: negatives)
        hypergeometricP = Statistics.hypergeometricUpperTail(
            population: totalHeads, successes: markedSet.count,
            draws: topN.count, observed: overlapAtN)
    }
}
