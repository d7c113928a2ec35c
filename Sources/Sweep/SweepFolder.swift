import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A sweep's folder: `plan.json`, `shards/<model>/<revision>/` (each shard's
/// `scores.json` and `shard.json`), `logs/`, `slurm/`, and what a merge writes
/// (`sweep.json`, `sweep.csv`, `report/`). A `.headmaps-sweep` marker says the
/// folder is a sweep's, so that nothing else is ever written into.
public struct SweepFolder: Sendable {
    public let path: String

    public init(_ path: String) { self.path = Paths.absolute(path) }

    public var plan: String { path + "/plan.json" }
    var marker: String { path + "/.headmaps-sweep" }
    var lock: String { path + "/.sweep.lock" }
    public func shard(_ shard: SweepPlan.Shard) -> String { path + "/shards/" + shard.folder }
    public func scores(_ shard: SweepPlan.Shard) -> String { self.shard(shard) + "/scores.json" }
    public func record(_ shard: SweepPlan.Shard) -> String { self.shard(shard) + "/shard.json" }
    func shardLock(_ shard: SweepPlan.Shard) -> String { self.shard(shard) + "/.lock" }
    public func log(_ index: Int) -> String { path + "/logs/shard-\(index).log" }

    /// Creates the folder, or checks that an existing non-empty one is a sweep's.
    public func prepare() throws {
        if let st = FileType.status(path) {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw SweepError.notASweepFolder(folder: path) }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if !entries.isEmpty && FileType.status(marker) == nil { throw SweepError.notASweepFolder(folder: path) }
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if FileType.status(marker) == nil {
            try AtomicFile.write(Data("headmaps sweep folder\n".utf8), to: marker)
        }
    }

    /// Held by whoever plans, runs or merges the sweep as a whole: one at a
    /// time. Makes the folder a sweep's first (`prepare`).
    public func lockWhole() throws -> FileLock {
        try prepare()
        guard let lock = try FileLock.acquire(self.lock) else { throw SweepError.busy(folder: path, lock: self.lock) }
        return lock
    }
}

/// An exclusive `flock` on a file, released when the process ends, however it
/// ends: a killed task never leaves a stale lock behind.
public final class FileLock {
    let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// nil where another process holds it.
    public static func acquire(_ path: String) throws -> FileLock? {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFileError.cannotWrite(path: path, reason: SystemError.describe(errno)) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return FileLock(descriptor: fd)
    }

    /// Whether some process holds the lock at `path` now.
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    deinit { close(descriptor) }
}
