import ArgumentParser
import Foundation

/// Prints an error the way a user needs it (what, where) and exits 2:
/// 1 is kept for "compared and found different" (compare, report --check).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
