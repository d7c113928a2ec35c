import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why an input file could not be read; each case names the file.
public enum InputFileError: Error, CustomStringConvertible, Equatable {
    case missing(path: String, kind: String)
    case danglingLink(path: String, kind: String, target: String)
    case notRegular(path: String, kind: String, found: String)
    case tooLarge(path: String, kind: String, bytes: Int, limit: Int)
    case unreadable(path: String, kind: String, reason: String)
    case changedWhileReading(path: String, kind: String)
    case notText(path: String, kind: String)

    public var path: String {
        switch self {
        case .missing(let p, _), .danglingLink(let p, _, _), .notRegular(let p, _, _), .tooLarge(let p, _, _, _),
            .unreadable(let p, _, _),
            .changedWhileReading(let p, _), .notText(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .missing(let p, let kind): return "\(p): \(kind) does not exist"
        case .danglingLink(let p, let kind, let target):
            return
                "\(p): the \(kind) is a link to \(target), which does not exist (an interrupted download? fetch the "
                + "file again)"
        case .notRegular(let p, let kind, let found): return "\(p): expected a \(kind), found \(found)"
        case .tooLarge(let p, let kind, let bytes, let limit):
            return "\(p): \(kind) is \(bytes) bytes, more than the limit of \(limit) bytes for this kind of file"
        case .unreadable(let p, let kind, let reason): return "\(p): \(kind) cannot be read (\(reason))"
        case .changedWhileReading(let p, let kind): return "\(p): \(kind) changed size while it was being read"
        case .notText(let p, let kind): return "\(p): \(kind) is not UTF-8 text"
        }
    }
}
