import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public enum ReportDirectoryError: Error, CustomStringConvertible, Equatable {
    case notAReport(path: String, found: String)
    case wouldReplace(path: String, what: String, at: String)
    case cannotCreate(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case cannotReplace(path: String, reason: String)
    case cannotMoveIntoPlace(path: String, reason: String)

    public var description: String {
        switch self {
        case .notAReport(let p, let found):
            return
                "\(p): is \(found); a report replaces only a folder that HeadMaps wrote (with its manifest.json) or "
                + "an empty one. Choose another --out, or move it away first"
        case .wouldReplace(let p, let what, let at):
            return "\(p): the report would replace \(what) (\(at)); choose another --out"
        case .cannotCreate(let p, let reason): return "\(p): cannot create the output folder (\(reason))"
        case .cannotWrite(let p, let reason):
            return "\(p): the report could not be written (\(reason)); nothing was changed there"
        case .cannotReplace(let p, let reason): return "\(p): cannot replace the existing report (\(reason))"
        case .cannotMoveIntoPlace(let p, let reason):
            return
                "\(p): cannot move the finished report into place (\(reason)); whatever was there before is unchanged"
        }
    }
}
