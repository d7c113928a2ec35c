/// Every scored relation's summary line and its best heads.
public struct RelationsPart: ReportPart {
    public let name = "relations"
    public static let kind = ReportPartKind.always(RelationsPart())

    struct Rows { let relations: [RelationSection] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let marked = PanelFindings(context).markedByRelation
        let relations = context.document.relations.filter { !$0.skipped }.map {
            RelationSection($0, marked: marked[$0.name] ?? [])
        }
        return ReportSection(
            rows: Rows(relations: relations), contents: ("top-heads-per-relation", "Top heads per relation"))
    }
}
