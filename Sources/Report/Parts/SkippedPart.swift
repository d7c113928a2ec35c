/// The relations with too few single-token pairs, and why.
public struct SkippedPart: ReportPart {
    public let name = "skipped"
    public static let kind = ReportPartKind.always(SkippedPart())

    struct Rows { let skipped: [SkippedRelation] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let skipped = context.document.relations.filter(\.skipped).map(SkippedRelation.init)
        guard !skipped.isEmpty else { return nil }
        return ReportSection(rows: Rows(skipped: skipped), contents: ("skipped-relations", "Skipped relations"))
    }
}
