import Checkpoint
import Tokenizer

/// A relation's pairs as the model sees them: only the pairs whose source and
/// target are each one token (with a leading space), with a row in the
/// model's embedding, can be scored.
public struct TokenizedRelation: Sendable {
    public let relation: Relation
    public let k: Int
    /// How `k` was chosen: "explicit" (the user's), or the family rule's name.
    public let kRule: String
    public let pairsTotal: Int
    public let sourceIds: [Int]
    public let targetIds: [Int]
    /// The pairs behind `sourceIds` and `targetIds`, in the same order.
    public let keptPairs: [Relation.Pair]
    /// Set when too few pairs survive tokenization for a score to mean much.
    public let skipReason: String?

    public var pairsKept: Int { sourceIds.count }
    public var skipped: Bool { skipReason != nil }

    public static let defaultMinimumPairs = ScoringSettings.minimumPairs

    /// - Parameters:
    ///   - defaults: the family's k rule, used when `k` is nil.
    ///   - rows: the model's embedding rows; a token id at or past it (a
    ///     tokenizer's added token the text model has no row for) is not kept.
    public init(
        _ relation: Relation, tokenizer: any Tokenizer, k: Int? = nil, defaults: DefaultK = .standard,
        rows: Int = .max, minimumPairs: Int = defaultMinimumPairs
    ) {
        self.relation = relation
        self.k = k ?? relation.defaultK(defaults)
        kRule = k == nil ? defaults.rule : "explicit"
        pairsTotal = relation.pairs.count
        var sources: [Int] = []
        var targets: [Int] = []
        var kept: [Relation.Pair] = []
        for pair in relation.pairs {
            if let s = tokenizer.wordToken(pair.source), let t = tokenizer.wordToken(pair.target), s < rows, t < rows {
                sources.append(s)
                targets.append(t)
                kept.append(pair)
            }
        }
        keptPairs = kept
        sourceIds = sources
        targetIds = targets
        skipReason =
            sources.count < minimumPairs
            ? "only \(sources.count) of \(relation.pairs.count) pairs are single tokens for this vocabulary (at "
                + "least \(minimumPairs) needed)"
            : nil
    }
}
