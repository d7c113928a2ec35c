import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a set of files as one folder that appears complete or not at all,
/// and replaces an earlier report only once the new one is whole.
///
/// Only a folder that HeadMaps itself wrote (it holds a HeadMaps
/// `manifest.json`) or an empty one is ever replaced: `--out` pointing at a
/// model, a file or the current directory must fail, not rename it away.
public enum ReportDirectory {
    /// Paths that a report must never replace or swallow, with what they are
    /// ("the model folder"), so the error can say why.
    public typealias Protected = OutputGuard.Input

    public static func write(
        _ files: [String: Data], to requested: String, protecting protected: [Protected] = [],
        log: (String) -> Void = { _ in }
    ) throws {
        let destination = try checkedDestination(requested, protecting: protected)
        let parent = (destination as NSString).deletingLastPathComponent
        let name = (destination as NSString).lastPathComponent
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw ReportDirectoryError.cannotCreate(path: parent, reason: SystemError.describe(error))
        }
        cleanLeftovers(parent: parent, name: name, log: log)
        // A leftover restored above may now sit at the destination: check it as any other.
        try checkReplaceable(destination, requested: requested)

        let staging = "\(parent)/.\(name).partial-\(getpid())"
        let previous = "\(parent)/.\(name).previous-\(getpid())"
        Interruption.register(staging)
        defer { Interruption.unregister(staging) }
        do {
            for (relative, data) in files.sorted(by: { $0.key < $1.key }) {
                let path = "\(staging)/\(relative)"
                try fm.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: path))
            }
        } catch {
            try? fm.removeItem(atPath: staging)
            throw ReportDirectoryError.cannotWrite(path: destination, reason: SystemError.describe(error))
        }
        let existed = FileType.status(destination) != nil
        try Interruption.critical {
            if existed {
                guard rename(destination, previous) == 0 else {
                    let reason = SystemError.describe(errno)
                    try? fm.removeItem(atPath: staging)
                    throw ReportDirectoryError.cannotReplace(path: destination, reason: reason)
                }
                Interruption.register(previous)
            }
            guard rename(staging, destination) == 0 else {
                let reason = SystemError.describe(errno)
                if existed {
                    _ = rename(previous, destination)
                    Interruption.unregister(previous)
                }
                try? fm.removeItem(atPath: staging)
                throw ReportDirectoryError.cannotMoveIntoPlace(path: destination, reason: reason)
            }
            Interruption.completed(destination)
        }
        if existed {
            removeReport(previous)
            Interruption.unregister(previous)
        }
    }

    /// Removes a report folder with its manifest last, so that a run killed
    /// midway leaves a folder that is still recognisably HeadMaps' (or empty),
    /// which the next run removes.
    static func removeReport(_ folder: String) {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where entry != "manifest.json" {
            try? fm.removeItem(atPath: (folder as NSString).appendingPathComponent(entry))
        }
        try? fm.removeItem(atPath: folder)
    }

    /// The destination as an absolute path, after the checks that keep a
    /// report from replacing what it must not.
    static func checkedDestination(_ requested: String, protecting protected: [Protected]) throws -> String {
        let absolute = Paths.absolute(requested)
        guard absolute != "/" else { throw ReportDirectoryError.notAReport(path: requested, found: "the root folder") }
        let resolved = resolvingLinks(absolute)
        let current = resolvingLinks(FileManager.default.currentDirectoryPath)
        var guards = protected
        guards.append(Protected(current, role: "the current directory"))
        for p in guards {
            let target = resolvingLinks(Paths.absolute(p.path))
            if target == resolved || target.hasPrefix(resolved + "/") {
                throw ReportDirectoryError.wouldReplace(path: requested, what: p.role, at: p.path)
            }
        }
        try checkReplaceable(absolute, requested: requested)
        return absolute
    }

    /// Nothing there, an empty folder, or a folder with a HeadMaps manifest.
    static func checkReplaceable(_ path: String, requested: String) throws {
        var link = stat()
        guard lstat(path, &link) == 0 else { return }
        guard (link.st_mode & S_IFMT) == S_IFDIR else {
            throw ReportDirectoryError.notAReport(path: requested, found: FileType.describe(mode: link.st_mode))
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if entries.isEmpty || isReport(path) { return }
        throw ReportDirectoryError.notAReport(
            path: requested, found: "a folder that HeadMaps did not write (it has no HeadMaps manifest.json)")
    }

    /// Whether `folder` holds a manifest written by HeadMaps.
    public static func isReport(_ folder: String) -> Bool {
        guard
            let data = try? InputFile.read(
                folder + "/manifest.json", kind: "manifest", limit: InputFile.Limit.smallJSON),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return false }
        return (object["schema"] as? String)?.hasPrefix("headmaps.manifest.") == true
    }

    /// Staging (`.NAME.partial-PID`) and previous-report (`.NAME.previous-PID`)
    /// folders of runs that were killed before they could tidy up. A process
    /// that still runs keeps its own; our own PID's (PID 1 in a container,
    /// again) and dead processes' are stale. A previous report whose
    /// replacement never arrived is put back.
    static func cleanLeftovers(parent: String, name: String, log: (String) -> Void) {
        for (entry, kind) in Leftovers.stale(in: parent, name: name, kinds: ["partial", "previous"]) {
            let path = "\(parent)/\(entry)"
            let destination = "\(parent)/\(name)"
            // Both kinds are HeadMaps' own: a staging folder, or a report it moved aside (only a folder
            // with a manifest is ever replaced). A complete previous report whose replacement never arrived
            // is put back; anything else, a half-removed one too, is removed.
            if kind == "previous" && isReport(path) && FileType.status(destination) == nil
                && rename(path, destination) == 0
            {
                log("restored \(destination) from \(entry), left by an interrupted run")
            } else {
                removeReport(path)
                log("removed \(entry), left by an interrupted run")
            }
        }
    }

    /// `path` with symbolic links resolved as far as it exists.
    static func resolvingLinks(_ path: String) -> String { Paths.resolvingLinks(path) }
}
