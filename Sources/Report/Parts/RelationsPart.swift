/// Every scored relation's summary line and its best heads.
public struct RelationsPart: ReportPart {
    public let name = "relations"
    public static let kind = ReportPartKind.always(RelationsPart())

    struct Rows { let relations: [RelationSection] }
    public struct Computed { let relations: [RelationSection] }

    /// Each scored relation's section, and `tables/top-heads.tex|csv` of the same best heads.
    public func compute(_ context: inout ReportContext) throws -> Computed {
        let marked = context.panelFindings.markedByRelation
        let relations = context.document.relations.filter { !$0.skipped }.map {
            RelationSection($0, marked: marked[$0.name] ?? [])
        }
        let table = PaperTable(
            name: "top-heads", caption: "The best heads of each relation (score above 0), by static score",
            columns: [
                ("relation", .left), ("rank", .right), ("head", .left), ("score", .right), ("suppression", .right),
                ("marked", .left),
            ],
            rows: relations.flatMap { r in
                r.top.enumerated().map { i, h in [r.title, String(i + 1), h.head, h.score, h.suppression, h.marked] }
            })
        context.files.merge(table.files) { $1 }
        return Computed(relations: relations)
    }

    public func section(_ context: ReportContext, _ computed: Computed) -> ReportSection? {
        ReportSection(
            rows: Rows(relations: computed.relations), contents: ("top-heads-per-relation", "Top heads per relation"))
    }
}
