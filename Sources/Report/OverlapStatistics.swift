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
    }

    public let totalHeads: Int
    public let marked: [MarkedHead]
    /// The N best heads, N = number of marked heads (ties broken by layer, head).
    public let topN: [HeadIndex]
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
    public var precisionAboveThreshold: Double? { aboveThreshold == 0 ? nil : Double(overlapAboveThreshold) / Double(aboveThreshold) }
    public var recallAboveThreshold: Double { marked.isEmpty ? 0 : Double(overlapAboveThreshold) / Double(marked.count) }

    public init(values: [[Double]], marked markedSet: Set<HeadIndex>, threshold: Double = ReportSettings.highScore) {
        let all = ScoreOrder.ordered(values)
        totalHeads = all.count
        let ranks = ScoreOrder.competitionRanks(all)
        marked = markedSet.sorted().map { h in MarkedHead(head: h, score: values[h.layer][h.head], rank: ranks[h]!) }
        topN = Array(all.prefix(markedSet.count).map(\.head))
        overlapAtN = topN.filter { markedSet.contains($0) }.count
        self.threshold = threshold
        let above = all.filter { $0.score >= threshold }.map(\.head)
        aboveThreshold = above.count
        overlapAboveThreshold = above.filter { markedSet.contains($0) }.count
        let positives = all.filter { markedSet.contains($0.head) }.map(\.score)
        let negatives = all.filter { !markedSet.contains($0.head) }.map(\.score)
        auroc = Statistics.auroc(positives: positives, negatives: negatives)
        hypergeometricP = Statistics.hypergeometricUpperTail(population: totalHeads, successes: markedSet.count,
                                                              draws: topN.count, observed: overlapAtN)
    }
}

/// Heads in order of score.
public enum ScoreOrder {
    public struct Entry: Equatable, Sendable {
        public let head: HeadIndex
        public let score: Double
    }

    /// Best first; equal scores in layer, head order, so the order is stable.
    public static func ordered(_ values: [[Double]]) -> [Entry] {
        var all: [Entry] = []
        for (l, row) in values.enumerated() { for (h, v) in row.enumerated() { all.append(Entry(head: HeadIndex(layer: l, head: h), score: v)) } }
        return all.sorted { $0.score != $1.score ? $0.score > $1.score : $0.head < $1.head }
    }

    /// Rank = 1 + the number of heads with a strictly higher score.
    public static func competitionRanks(_ ordered: [Entry]) -> [HeadIndex: Int] {
        var ranks: [HeadIndex: Int] = [:]
        for (i, e) in ordered.enumerated() {
            ranks[e.head] = i > 0 && ordered[i - 1].score == e.score ? ranks[ordered[i - 1].head]! : i + 1
        }
        return ranks
    }

    public static func top(_ values: [[Double]], _ n: Int) -> Set<HeadIndex> { Set(ordered(values).prefix(n).map(\.head)) }
}

public enum Statistics {
    /// Mann–Whitney U / (n₊ · n₋); `nil` when a class is empty.
    public static func auroc(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        var u = 0.0
        for p in positives { for n in negatives { u += p > n ? 1 : p == n ? 0.5 : 0 } }
        return u / Double(positives.count * negatives.count)
    }

    /// P(X ≥ observed) for X ~ Hypergeometric(population, successes, draws).
    public static func hypergeometricUpperTail(population: Int, successes: Int, draws: Int, observed: Int) -> Double {
        func logChoose(_ n: Int, _ k: Int) -> Double {
            guard k >= 0, k <= n else { return -.infinity }
            return lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        }
        let total = logChoose(population, draws)
        var p = 0.0
        for x in max(observed, 0)...max(min(successes, draws), observed) where x <= min(successes, draws) {
            p += exp(logChoose(successes, x) + logChoose(population - successes, draws - x) - total)
        }
        return min(1, p)
    }

    /// Spearman's ρ: Pearson's correlation of the ranks (ties get their mean rank).
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double? {
        precondition(a.count == b.count)
        let ra = meanRanks(a), rb = meanRanks(b)
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in ra.indices {
            sab += (ra[i] - ma) * (rb[i] - mb)
            saa += (ra[i] - ma) * (ra[i] - ma)
            sbb += (rb[i] - mb) * (rb[i] - mb)
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    static func meanRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = mean }
            i = j + 1
        }
        return ranks
    }

    public static func jaccard<T: Hashable>(_ a: Set<T>, _ b: Set<T>) -> Double {
        a.isEmpty && b.isEmpty ? 1 : Double(a.intersection(b).count) / Double(a.union(b).count)
    }
}
