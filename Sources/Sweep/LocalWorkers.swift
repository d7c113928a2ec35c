import Core
import Foundation
import Synchronization

/// Runs shards on this machine, at most `jobs` at once, each in its own
/// process (`headmaps sweep run --shard I`, the command a Slurm task runs),
/// its output in `logs/shard-I.log`.
public enum LocalWorkers {
    public struct Outcome: Sendable {
        public let index: Int
        public let status: Int32
        public let seconds: Double
    }

    /// - Parameters:
    ///   - command: the worker's executable and arguments for a shard.
    ///   - finished: called as each worker ends, with how many have.
    public static func run(
        _ indices: [Int], jobs: Int, folder: SweepFolder, command: @escaping @Sendable (Int) -> [String],
        finished: @escaping @Sendable (Outcome, Int) -> Void
    ) throws -> [Outcome] {
        let outcomes = Mutex<[Outcome]>([])
        let slots = DispatchSemaphore(value: max(1, jobs))
        let group = DispatchGroup()
        try FileManager.default.createDirectory(atPath: folder.path + "/logs", withIntermediateDirectories: true)
        for index in indices {
            slots.wait()
            let arguments = command(index)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            let logPath = folder.log(index)
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            let start = ContinuousClock.now
            group.enter()
            process.terminationHandler = { process in
                try? log.close()
                let outcome = Outcome(
                    index: index, status: process.terminationStatus, seconds: (ContinuousClock.now - start).seconds)
                let count = outcomes.withLock {
                    $0.append(outcome)
                    return $0.count
                }
                finished(outcome, count)
                slots.signal()
                group.leave()
            }
            do { try process.run() } catch {
                try? log.close()
                slots.signal()
                group.leave()
                throw error
            }
        }
        group.wait()
        return outcomes.withLock { $0 }.sorted { $0.index < $1.index }
    }
}
