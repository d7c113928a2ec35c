import Core
import Foundation
import Plot

/// Heads in order of score.
public enum ScoreOrder {
    public struct Entry: Equatable, Sendable {
        public let head: HeadIndex
        public let score: Double
    }

    /// Best first; equal scores in layer, head order, so the order is stable.
    public static func ordered(_ values: [[Double]]) -> [Entry] {
        var all: [Entry] = []
        for (l, row) in values.enumerated() {
            for (h, v) in row.enumerated() { all.append(Entry(head: HeadIndex(layer: l, head: h), score: v)) }
        }
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

    /// The `n` best heads above zero (zero-score ties never fill it).
    public static func top(_ values: [[Double]], _ n: Int) -> Set<HeadIndex> {
        Set(ordered(values).filter { $0.score > 0 }.prefix(n).map(\.head))
    }

    public static func countAboveZero(_ values: [[Double]]) -> Int { values.joined().filter { $0 > 0 }.count }
}
