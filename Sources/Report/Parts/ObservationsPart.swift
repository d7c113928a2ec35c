/// Sentences on what the marked panels show: where the marked heads rank,
/// how much neighbouring maps share.
public struct ObservationsPart: ReportPart {
    public let name = "observations"
    public static let kind = ReportPartKind.always(ObservationsPart())

    struct Rows { let observations: [String] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        let observations = context.panelFindings.observations
        guard !observations.isEmpty else { return nil }
        return ReportSection(rows: Rows(observations: observations), contents: ("observations", "Observations"))
    }
}
