import Dispatch
import Foundation

/// Staging files and folders that must not outlive an interrupted run.
///
/// Writers register what they are building; on SIGINT or SIGTERM a handler
/// (on a dispatch queue, not in signal context) removes them and exits with
/// 128 + the signal number. Whatever sat at the destination before stays.
public enum Interruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var staging = Set<String>()
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    public static func installHandlers() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                cleanUp()
                FileHandle.standardError.write(Data("\ninterrupted; nothing was left half-written\n".utf8))
                // _exit, not exit: other threads may be inside BLAS, and running
                // atexit handlers and destructors under them can crash.
                _exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
        // A write past a file-size limit then fails with an error instead of killing us.
        signal(SIGXFSZ, SIG_IGN)
    }

    public static func register(_ path: String) {
        lock.lock(); staging.insert(path); lock.unlock()
    }

    public static func unregister(_ path: String) {
        lock.lock(); staging.remove(path); lock.unlock()
    }

    static func cleanUp() {
        lock.lock()
        let paths = staging
        lock.unlock()
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }
}
