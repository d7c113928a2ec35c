import Dispatch
import Foundation
import Synchronization

/// Staging files and folders that must not outlive an interrupted run.
///
/// Writers register what they are building; on SIGINT or SIGTERM a handler
/// (on a dispatch queue, not in signal context) removes them and exits with
/// 128 + the signal number. Swaps of finished outputs into place run inside
/// `critical`, which the handler waits for, so an interrupt never lands
/// between "old output moved away" and "new output moved in"; the message
/// then says truthfully what is complete.
public enum Interruption {
    private struct State {
        var staging = Set<String>()
        var finished: [String] = []
    }
    /// Kept alive here; written once, by `installHandlers` at start-up, before other threads exist.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let state = Mutex(State())
    private static let swapLock = NSLock()

    public static func installHandlers() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                swapLock.lock()  // wait for a swap in progress; never released: we exit
                cleanUp()
                let done = state.withLock { $0.finished }
                let message =
                    done.isEmpty
                    ? "\ninterrupted before any output was complete; what was there before is untouched\n"
                    : "\ninterrupted; complete before the interrupt: \(done.joined(separator: ", ")); nothing else "
                        + "was changed\n"
                FileHandle.standardError.write(Data(message.utf8))
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
        _ = state.withLock { $0.staging.insert(path) }
    }

    public static func unregister(_ path: String) {
        _ = state.withLock { $0.staging.remove(path) }
    }

    /// Runs `body` (a few renames) with interrupts held off until it returns.
    public static func critical<R>(_ body: () throws -> R) rethrows -> R {
        swapLock.lock()
        defer { swapLock.unlock() }
        return try body()
    }

    /// Records that `path` is now complete in its final place.
    public static func completed(_ path: String) {
        state.withLock { $0.finished.append(path) }
    }

    static func cleanUp() {
        let paths = state.withLock { $0.staging }
        for p in paths { try? FileManager.default.removeItem(atPath: p) }
    }
}
