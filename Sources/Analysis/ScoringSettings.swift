import Checkpoint

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
    public static let tieRule = "count against the target"

    /// The settings as (key, value) pairs for the manifest.
    public static var recorded: [(String, String)] {
        [("default_k.copying_relations", String(copyingK)), ("default_k.other_relations", String(relationK)), ("default_min_pairs", String(minimumPairs)),
         ("vocabulary_block", String(vocabularyBlock)), ("product_chunk_columns", String(productChunkColumns)), ("ties", tieRule)]
    }
}
