import CSignalGuard
import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A read-only memory mapping of a whole file.
///
/// Checkpoints are mapped rather than read so that a 1.4 GB model costs only
/// the pages the analysis touches. If the file is truncated while mapped,
/// touching a vanished page raises SIGBUS; the signal guard turns that into
/// zero pages and a mark, and `checkUnchanged()` (called after every read of a
/// tensor and after scoring) turns the mark, or a changed size, into an error,
/// so no result computed from a changing file is ever written.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    /// Valid while `self` lives: only `SafetensorsFile`, which keeps it alive, reads it.
    let bytes: UnsafeRawPointer
    private let mappedLength: Int
    private let guardSlot: Int32

    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: a FIFO in place of a weights file must not hang the open.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT, let target = FileType.danglingLinkTarget(path) {
                throw CheckpointError.unreadable(
                    file: path,
                    reason:
                        "is a link to \(target), which does not exist (an interrupted download? fetch the file again)")
            }
            throw CheckpointError.unreadable(file: path, reason: "cannot open: \(SystemError.describe(code))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw CheckpointError.unreadable(file: path, reason: "cannot stat: \(SystemError.describe(errno))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.unreadable(
                file: path, reason: "is \(FileType.describe(mode: st.st_mode)), not a regular file")
        }
        size = Int(st.st_size)
        mappedLength = max(size, 1)
        guard let p = mmap(nil, mappedLength, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CheckpointError.unreadable(
                file: path, reason: "cannot memory-map \(size) bytes: \(SystemError.describe(errno))")
        }
        bytes = UnsafeRawPointer(p)
        guardSlot = headmaps_guard_register(p, mappedLength)
    }

    deinit {
        headmaps_guard_unregister(guardSlot)
        munmap(UnsafeMutableRawPointer(mutating: bytes), mappedLength)
    }

    /// Hands the pages wholly inside `range` (byte offsets) back to the kernel:
    /// they stop counting as this process's memory, and a later read maps
    /// them again from the page cache or the file. Read-only private pages
    /// hold nothing else, so this changes no value.
    func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (range.lowerBound + page - 1) / page * page
        let hi = min(range.upperBound, size) / page * page
        guard hi > lo else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: bytes + lo), hi - lo, MADV_DONTNEED)
    }

    /// Throws when the file on disk no longer has the size it had when mapped,
    /// or when a read found pages that had vanished.
    public func checkUnchanged() throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CheckpointError.changedWhileReading(file: path, problem: "disappeared while it was being read")
        }
        guard Int(st.st_size) == size, headmaps_guard_faulted(guardSlot) == 0 else {
            throw CheckpointError.changedWhileReading(
                file: path,
                problem: "changed size while it was being read (\(size) bytes when opened, \(st.st_size) now)")
        }
    }
}
