import Core
import Foundation
import Plot

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
        let ra = meanRanks(a)
        let rb = meanRanks(b)
        let ma = ra.reduce(0, +) / Double(ra.count)
        let mb = rb.reduce(0, +) / Double(rb.count)
        var sab = 0.0
        var saa = 0.0
        var sbb = 0.0
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
