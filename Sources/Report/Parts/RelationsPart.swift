/// Every scored relation's summary line and its best heads.
public struct RelationsPart: ReportPart {
    public let name = "relations"
    public static let kind = ReportPartKind.always(RelationsPart())

    struct Rows { let relations: [RelationSection] }

    /// `tables/top-heads.tex|csv`: each scored relation's best heads, as listed in the section.
    public func compute(_ context: inout ReportContext) throws {
        let marked = PanelFindings(context).markedByRelation
        var rows: [[String]] = []
        for r in context.document.relations where !r.skipped {
            let section = RelationSection(r, marked: marked[r.name] ?? [])
            rows += section.top.enumerated().map { i, h in
                [r.title, String(i + 1), h.head, h.score, h.suppression, h.marked]
            }
        }
        let table = PaperTable(
            name: "top-heads", caption: "The best heads of each relation (score above 0), by static score",
            columns: [
                ("relation", .left), ("rank", .right), ("head", .left), ("score", .right), ("suppression", .right),
                ("marked", .left),
            ],
            rows: rows)
        context.files.merge(table.files) { $1 }
    }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let marked = PanelFindings(context).markedByRelation
        let relations = context.document.relations.filter { !$0.skipped }.map {
            RelationSection($0, marked: marked[$0.name] ?? [])
        }
        return ReportSection(
            rows: Rows(relations: relations), contents: ("top-heads-per-relation", "Top heads per relation"))
    }
}
