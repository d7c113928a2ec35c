/// The command that rebuilds the report.
public struct ReproducePart: ReportPart {
    public let name = "reproduce"
    public static let kind = ReportPartKind.always(ReproducePart())

    struct Rows { let reproduce: String }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        ReportSection(rows: Rows(reproduce: context.reproduce), contents: ("reproduce", "Reproduce"))
    }
}
