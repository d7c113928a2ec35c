import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Staging files and folders of runs that were killed before they could tidy
/// up: `.NAME.KIND-PID` beside the destination `NAME`.
public enum Leftovers {
    /// The entries of `parent` named `.NAME.KIND-PID` whose PID is stale, with their kind.
    public static func stale(in parent: String, name: String, kinds: [String]) -> [(entry: String, kind: String)] {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: parent.isEmpty ? "." : parent)) ?? [])
            .sorted()
        var out: [(String, String)] = []
        for entry in entries {
            for kind in kinds {
                let prefix = ".\(name).\(kind)-"
                if entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count)), isStale(pid) {
                    out.append((entry, kind))
                }
            }
        }
        return out
    }

    /// A leftover is stale unless its PID is another live `headmaps` process.
    /// Our own PID's are stale too: in a container every run is PID 1.
    public static func isStale(_ pid: Int32) -> Bool {
        if pid == getpid() || pid <= 0 { return true }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let comm = FileManager.default.contents(atPath: "/proc/\(pid)/comm") else { return false }
        return !String(decoding: comm, as: UTF8.self).hasPrefix("headmaps")
    }
}
