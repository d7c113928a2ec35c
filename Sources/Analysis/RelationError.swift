/// A problem with a relation: its file (MAPS format), its name, or the
/// built-in datasets. Each case names the file or relation.
public enum RelationError: Error, CustomStringConvertible, Equatable {
    case notJSON(file: String)
    case notAnArray(file: String, found: String)
    case tooManyPairs(file: String, count: Int, limit: Int)
    case notAPair(file: String, item: Int, found: String)
    case emptyString(file: String, item: Int)
    case stringTooLong(file: String, item: Int, limit: Int)
    case duplicatePair(file: String, item: Int, first: Int, pair: String)
    case noPairs(file: String)
    /// `spec` is the report specification that asked for both, if any.
    case givenTwice(spec: String?, name: String, first: String, second: String)
    case unknownBuiltin(name: String, known: [String])
    case builtinMissing(name: String)

    public var description: String {
        switch self {
        case .notJSON(let f): return "\(f): not valid JSON; a relation file is a JSON array of [source, target] pairs"
        case .notAnArray(let f, let found):
            return "\(f): expected a JSON array of [source, target] pairs, found \(found)"
        case .tooManyPairs(let f, let count, let limit): return "\(f): \(count) pairs, more than the limit of \(limit)"
        case .notAPair(let f, let item, let found): return "\(f): item \(item) is not a pair of two strings: \(found)"
        case .emptyString(let f, let item): return "\(f): item \(item) has an empty string"
        case .stringTooLong(let f, let item, let limit):
            return "\(f): item \(item) has a string longer than \(limit) characters"
        case .duplicatePair(let f, let item, let first, let pair):
            return "\(f): item \(item) repeats item \(first) \(pair); each pair must appear once"
        case .noPairs(let f): return "\(f): the relation has no pairs"
        case .givenTwice(let spec, let name, let first, let second) where first == second:
            return "\(spec.map { "\($0): " } ?? "")relation '\(name)' is listed twice; name it once"
        case .givenTwice(let spec, let name, let first, let second):
            return
                "\(spec.map { "\($0): " } ?? "")relation '\(name)' is given twice (\(first) and \(second)); rename "
                + "the file, a relation file is named after its stem"
        case .unknownBuiltin(let name, let known):
            return "unknown relation '\(name)'; built-in relations are: \(known.joined(separator: ", "))"
        case .builtinMissing(let name):
            return "the built-in dataset for '\(name)' is missing from the installed resources"
        }
    }
}
