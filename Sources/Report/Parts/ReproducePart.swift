/// The command that rebuilds the report.
public struct ReproducePart: ReportPart {
    public let name = "reproduce"
    public static let kind = ReportPartKind.always(ReproducePart())

    struct Rows {
        let reproduce: String
        /// A Markdown fence no backtick run in the command can close.
        let fence: String
    }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        ReportSection(
            rows: Rows(reproduce: context.reproduce, fence: MarkdownText.fence(for: context.reproduce)),
            contents: ("reproduce", "Reproduce"))
    }
}
