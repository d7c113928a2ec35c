/// Where the report's tables are as LaTeX and CSV (`tables/`, written by the
/// parts whose sections hold them), for a paper to `\input`.
public struct TablesPart: ReportPart {
    public let name = "tables"
    public static let kind = ReportPartKind.always(TablesPart())

    struct Table {
        let tex: String
        let csv: String
    }
    struct Rows { let tables: [Table] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let tables = context.files.keys.filter { $0.hasPrefix("tables/") && $0.hasSuffix(".tex") }.sorted()
            .map { Table(tex: $0, csv: String($0.dropLast(4)) + ".csv") }
        guard !tables.isEmpty else { return nil }
        return ReportSection(rows: Rows(tables: tables), contents: ("tables-for-papers", "Tables for papers"))
    }
}
