import Analysis

/// A relation with too few single-token pairs, and why.
struct SkippedRelation {
    let name: String
    /// The name as a Markdown code span.
    let codeName: String
    let title: String
    let reason: String

    init(_ r: RelationScores) {
        name = r.name
        codeName = MarkdownText.codeSpan(r.name)
        title = r.title
        reason = r.skipReason ?? ""
    }
}
