/// A fixture that cannot be built as asked.
public enum FixtureError: Error, CustomStringConvertible, Equatable {
    case shapeTooSmall(shape: String, requirement: String)
    case vocabularyTooSmall(needed: Int, requested: Int)

    public var description: String {
        switch self {
        case .shapeTooSmall(let shape, let requirement): return "fixture shape \(shape): \(requirement)"
        case .vocabularyTooSmall(let needed, let requested):
            return "fixture vocabulary needs \(needed) tokens, more than the requested \(requested)"
        }
    }
}
