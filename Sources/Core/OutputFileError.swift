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
    case wouldReplaceInput(path: String, option: String, what: String, at: String)
    case sameOutput(path: String, options: [String])

    public var description: String {
        switch self {
        case .notAFile(let p, let found):
            return "\(p): is \(found); the output must be a file name (it would replace only a regular file)"
        case .cannotCreateFolder(let p, let reason): return "\(p): cannot create the output folder (\(reason))"
        case .cannotWrite(let p, let reason): return "\(p): cannot be written (\(reason)); nothing was changed there"
        case .cannotRename(let p, let reason): return "\(p): cannot move the finished file into place (\(reason))"
        case .wouldReplaceInput(let p, let option, let what, let at):
            let inside = Paths.resolvingLinks(p) == Paths.resolvingLinks(at) ? "is" : "lies inside"
            return
                "\(option) \(p) \(inside) \(what) (\(at)), which this command reads; "
                + "choose another path (nothing was written)"
        case .sameOutput(let p, let options):
            return
                "\(options.joined(separator: " and ")) both name \(p); "
                + "give each output its own path (nothing was written)"
        }
    }
}
