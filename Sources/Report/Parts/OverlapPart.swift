/// Each marked map against its marker set: the marked heads' scores and
/// ranks, and the overlap statistics.
public struct OverlapPart: ReportPart {
    public let name = "overlap"
    public static let kind = ReportPartKind.always(OverlapPart())

    struct Rows { let overlap: [OverlapSection] }

    /// `tables/overlap.tex|csv`: every marked map's overlap statistics.
    public func compute(_ context: inout ReportContext) throws {
        let overlap = context.panelFindings.overlap
        guard !overlap.isEmpty else { return }
        let table = PaperTable(
            name: "overlap", caption: "Each marked map against its marker set: overlap statistics",
            columns: [("map", .left), ("markers", .left), ("statistic", .left), ("value", .right)],
            rows: overlap.flatMap { o in o.metrics.map { [o.relation, o.markers, $0.name, $0.value] } })
        context.files.merge(table.files) { $1 }
    }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let overlap = context.panelFindings.overlap
        guard !overlap.isEmpty else { return nil }
        return ReportSection(
            rows: Rows(overlap: overlap), contents: ("overlap-with-the-marked-heads", "Overlap with the marked heads"))
    }
}
