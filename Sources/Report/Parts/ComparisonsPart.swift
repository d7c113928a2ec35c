/// Neighbouring maps of the main figure compared: the top heads they share,
/// Jaccard and Spearman.
public struct ComparisonsPart: ReportPart {
    public let name = "comparisons"
    public static let kind = ReportPartKind.always(ComparisonsPart())

    struct Rows { let comparisons: [ComparisonRow] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let comparisons = context.panelFindings.comparisons
        guard !comparisons.isEmpty else { return nil }
        return ReportSection(rows: Rows(comparisons: comparisons), contents: nil)
    }
}
