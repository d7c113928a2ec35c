import Analysis

/// A relation with too few single-token pairs, and why.
struct SkippedRelation {
    let name: String
    let title: String
    let reason: String

    init(_ r: RelationScores) {
        name = r.name
        title = r.title
        reason = r.skipReason ?? ""
    }
}
