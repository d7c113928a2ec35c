import ArgumentParser
import Core
import Foundation

/// Prints an error the way a user needs it (what, where) and exits 2:
/// 1 is kept for "compared and found different" (compare, report --check).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(message(error))\n".utf8))
        throw ExitCode(2)
    }
}

/// The error in words: ours say what and where; one that came straight from
/// Foundation or the C library is put as "PATH: reason" (never its domain and code).
func message(_ error: any Error) -> String {
    guard SystemError.isFromTheSystem(error) else { return "\(error)" }
    let info = (error as NSError).userInfo
    let path = info[NSFilePathErrorKey] as? String ?? (info[NSURLErrorKey] as? URL)?.path
    return (path.map { "\($0): " } ?? "") + SystemError.describe(error)
}
