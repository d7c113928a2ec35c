import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why an output could not be written; each case names the path.
public enum OutputFileError: Error, CustomStringConvertible, Equatable {
    case notAFile(path: String, found: String)
    case cannotCreateFolder(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotRename(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAFile(let p, let found):
            return "\(p): is \(found); the output must be a file name (it would replace only a regular file)"
        case .cannotCreateFolder(let p, let reason): return "\(p): cannot create the output folder (\(reason))"
        case .cannotWrite(let p, let reason): return "\(p): cannot be written (\(reason)); nothing was changed there"
        case .cannotRename(let p, let reason): return "\(p): cannot move the finished file into place (\(reason))"
        }
    }
}
