import Checkpoint
import LinearAlgebra

/// Every number that shapes a score, defined once; the manifest records them
/// from here, so a report says exactly how it was computed.
public enum ScoringSettings {
    /// k for relations that map every word to itself, and for the others (the paper's choice).
    public static let copyingK = DefaultK.standard.copying
    public static let relationK = DefaultK.standard.other
    /// A relation with fewer single-token pairs than this is skipped.
    public static let minimumPairs = 30
    /// The vocabulary is visited in blocks of this many tokens (fixed shuffled order).
    public static let vocabularyBlock = 2048
    /// Large products are split into column chunks of this width, so that every
    /// rounding is the same whatever the number of workers.
    public static let productChunkColumns = 1024
    /// Logits within `tieTolerance · ‖x·W_V·W_O‖ · max_t ‖W_U[:, t]‖` of the
    /// target's are ties, and ties count against the target. The product
    /// bounds every logit of the row (Cauchy–Schwarz); float32 products of
    /// length d err by about `2⁻²⁴·√d` of it (at most 2⁻¹⁷ for d ≤ 16,384),
    /// twice over for the two chained products, so logits closer than
    /// 2⁻¹⁶ of it are equal within the computation's error, and their order
    /// would follow the CPU's BLAS kernel, not the weights.
    public static let tieTolerance = 0x1p-16
    public static let tieRule =
        "count against the target; logits within 2^-16 · ‖x·W_V·W_O‖ · max‖W_U[:, t]‖ of the target's are ties"

    /// The tie margin of one row: `tieTolerance · ‖x·W_V·W_O‖ · max_t ‖W_U[:, t]‖`.
    public static func tieMargin(outputNorm: Double, largestUnembeddingNorm: Double) -> Float {
        Float(tieTolerance * outputNorm * largestUnembeddingNorm)
    }

    /// The same for row `row` of `moved`, the rows `x·W_V·W_O`.
    public static func tieMargin(row: Int, of moved: Matrix, largestUnembeddingNorm: Double) -> Float {
        let norm = (0..<moved.cols).reduce(0.0) { $0 + Double(moved[row, $1]) * Double(moved[row, $1]) }.squareRoot()
        return tieMargin(outputNorm: norm, largestUnembeddingNorm: largestUnembeddingNorm)
    }

    /// The settings as (key, value) pairs for the manifest.
    public static var recorded: [(String, String)] {
        [
            ("default_k.copying_relations", String(copyingK)), ("default_k.other_relations", String(relationK)),
            ("default_min_pairs", String(minimumPairs)),
            ("vocabulary_block", String(vocabularyBlock)), ("product_chunk_columns", String(productChunkColumns)),
            ("ties", tieRule),
        ]
    }
}
