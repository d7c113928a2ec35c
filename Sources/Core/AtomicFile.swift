import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Write to a temporary sibling, then rename: readers see the old file or the
/// complete new one, never a half-written one. Missing folders are created.
///
/// Only a regular file (or nothing) is ever replaced: `--out` naming a
/// directory or a device is a mistake to report, not a file to rename away.
public enum AtomicFile {
    public static func write(to requested: String, _ body: (FileHandle) throws -> Void) throws {
        if OutputGuard.isStream(requested) { return try writeThrough(requested, body) }
        let path = try destination(requested)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && FileType.status(folder) == nil {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw OutputFileError.cannotCreateFolder(path: folder, reason: SystemError.describe(error))
            }
        }
        let url = URL(fileURLWithPath: path)
        for (entry, _) in Leftovers.stale(in: folder, name: url.lastPathComponent, kinds: ["partial"]) {
            unlink(url.deletingLastPathComponent().appendingPathComponent(entry).path)
        }
        let temporary = temporaryPath(for: path)
        Interruption.register(temporary)
        defer { Interruption.unregister(temporary) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFileError.cannotWrite(path: path, reason: SystemError.describe(errno)) }
        // A replaced file keeps its permissions (a private 0600 file stays private).
        if let existing = FileType.status(path) { fchmod(fd, existing.st_mode & 0o7777) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            unlink(temporary)
            // The body's own errors (a bad tensor, say) pass through; the system's get the path.
            guard SystemError.isFromTheSystem(error) else { throw error }
            throw OutputFileError.cannotWrite(path: path, reason: SystemError.describe(error))
        }
        try Interruption.critical {
            guard rename(temporary, path) == 0 else {
                let reason = SystemError.describe(errno)
                unlink(temporary)
                throw OutputFileError.cannotRename(path: path, reason: reason)
            }
            Interruption.completed(path)
        }
    }

    /// A device or a pipe (`/dev/stdout`, a FIFO) is written to, never renamed over.
    static func writeThrough(_ path: String, _ body: (FileHandle) throws -> Void) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OutputFileError.cannotWrite(path: path, reason: SystemError.describe(errno)) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try body(handle)
        } catch {
            guard SystemError.isFromTheSystem(error) else { throw error }
            throw OutputFileError.cannotWrite(path: path, reason: SystemError.describe(error))
        }
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(contentsOf: data) }
    }

    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
            .path
    }

    /// The path to rename onto: `requested`, or the file a symbolic link there
    /// points to (so that writing through a link updates its target, as users
    /// expect). Anything but a regular file at that path is an error.
    static func destination(_ requested: String) throws(OutputFileError) -> String {
        guard !requested.isEmpty, !requested.hasSuffix("/"), (requested as NSString).lastPathComponent != ".",
            (requested as NSString).lastPathComponent != ".."
        else {
            throw .notAFile(path: requested, found: "a folder name")
        }
        var link = stat()
        guard lstat(requested, &link) == 0 else { return requested }
        var path = requested
        if (link.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(requested, nil) else { return requested }  // a dangling link: replace it
            path = String(cString: resolved)
            free(resolved)
        }
        if let st = FileType.status(path), !FileType.isRegular(st) {
            throw .notAFile(path: requested, found: FileType.describe(mode: st.st_mode))
        }
        return path
    }
}
