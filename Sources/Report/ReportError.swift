/// Problems of a report run that are about the project's own files or the
/// report as a whole (spec problems are `SpecError`, with file and line).
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case templatesMissing(directory: String)
    case templateMissing(path: String)
    case templateDoesNotParse(path: String, reason: String)

    public var description: String {
        switch self {
        case .templatesMissing(let dir): return "\(dir): the report templates folder is missing"
        case .templateMissing(let path): return "\(path): report template is missing"
        case .templateDoesNotParse(let path, let reason): return "\(path): template does not parse: \(reason)"
        }
    }
}
