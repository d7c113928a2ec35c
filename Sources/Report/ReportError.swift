/// Problems of a report run that are about the project's own files or the
/// report as a whole (spec problems are `SpecError`, with file and line).
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case templatesMissing(directory: String)
    case templateMissing(path: String)
    case templateDoesNotParse(path: String, reason: String)
    case noSuchRelation(name: String, available: [String])
    case relationSkipped(name: String, reason: String)
    case unknownFigureFormat(path: String)
    case noGoldens(folder: String)
    case foreignDiffFolder(path: String, found: String)

    public var description: String {
        switch self {
        case .templatesMissing(let dir): return "\(dir): the report templates folder is missing"
        case .templateMissing(let path): return "\(path): report template is missing"
        case .templateDoesNotParse(let path, let reason): return "\(path): template does not parse: \(reason)"
        case .noSuchRelation(let name, let available):
            return "the scores have no relation '\(name)'; they have: \(available.joined(separator: ", "))"
        case .relationSkipped(let name, let reason):
            return "relation '\(name)' was skipped for this model (\(reason)), so it has no map to draw"
        case .unknownFigureFormat(let path): return "\(path): the figure's file name must end in .png, .pdf or .svg"
        case .noGoldens(let folder): return "\(folder): no golden figures or scores.json to compare with"
        case .foreignDiffFolder(let path, let found):
            return "\(path): is \(found); a check writes its diffs there, so move it away or give --out another folder"
        }
    }
}
