import Checkpoint

/// One relation's scores for every head: `scores[layer][head]` is the
/// fraction of kept pairs whose target is among the head's top-k logits;
/// `suppression` the same for the bottom-k.
public struct RelationScores: Sendable, Equatable {
    public let name: String
    public let title: String
    public let k: Int
    /// How k was chosen: "explicit", or the family rule ("standard", "llama3").
    public let kRule: String
    /// What heads read of a source (`SourceRule`'s raw value).
    public let sourceRule: String
    public let pairsTotal: Int
    public let pairsKept: Int
    public let skipReason: String?
    /// Counts of matching pairs, `[layer][head]`; empty when skipped.
    public let hits: [[Int]]
    public let suppressionHits: [[Int]]

    public init(
        name: String, title: String, k: Int, kRule: String = DefaultK.standard.rule,
        sourceRule: String = SourceRule.mlp0.rawValue,
        pairsTotal: Int, pairsKept: Int, skipReason: String?, hits: [[Int]], suppressionHits: [[Int]]
    ) {
        self.name = name
        self.title = title
        self.k = k
        self.kRule = kRule
        self.sourceRule = sourceRule
        self.pairsTotal = pairsTotal
        self.pairsKept = pairsKept
        self.skipReason = skipReason
        self.hits = hits
        self.suppressionHits = suppressionHits
    }

    public var skipped: Bool { skipReason != nil }
    public var scores: [[Double]] { fractions(hits) }
    public var suppression: [[Double]] { fractions(suppressionHits) }

    private func fractions(_ counts: [[Int]]) -> [[Double]] {
        counts.map { row in row.map { pairsKept == 0 ? 0 : Double($0) / Double(pairsKept) } }
    }
}
