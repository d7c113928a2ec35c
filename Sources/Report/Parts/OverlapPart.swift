/// Each marked map against its marker set: the marked heads' scores and
/// ranks, and the overlap statistics.
public struct OverlapPart: ReportPart {
    public let name = "overlap"
    public static let kind = ReportPartKind.always(OverlapPart())

    struct Rows { let overlap: [OverlapSection] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let overlap = PanelFindings(context).overlap
        guard !overlap.isEmpty else { return nil }
        return ReportSection(
            rows: Rows(overlap: overlap), contents: ("overlap-with-the-marked-heads", "Overlap with the marked heads"))
    }
}
