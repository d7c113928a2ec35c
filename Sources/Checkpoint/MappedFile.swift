import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file.
///
/// Checkpoints are mapped rather than read so that a 1.4 GB model costs only
/// the pages the analysis touches. If the file is truncated while mapped,
/// touching a vanished page raises SIGBUS; `checkUnchanged()` lets long runs
/// detect that between phases instead (the size is re-read with `stat`).
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    public let bytes: UnsafeRawPointer
    private let mappedLength: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw CheckpointError(path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(path, "is not a regular file")
        }
        size = Int(st.st_size)
        mappedLength = max(size, 1)
        guard let p = mmap(nil, mappedLength, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CheckpointError(path, "cannot memory-map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes), mappedLength) }

    /// Throws when the file on disk no longer has the size it had when mapped.
    public func checkUnchanged() throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CheckpointError(path, "disappeared while it was being read")
        }
        guard Int(st.st_size) == size else {
            throw CheckpointError(path, "changed size while it was being read (\(size) bytes when opened, \(st.st_size) now)")
        }
    }
}
