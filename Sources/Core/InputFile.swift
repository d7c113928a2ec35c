import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file that the user named as an input, with the checks that keep a
/// bad path from hanging the run or exhausting memory: it must be a regular
/// file (a FIFO or a device would block forever or never end), and no larger
/// than a limit chosen far above real inputs of its kind.
public enum InputFile {
    /// Limits, each far above what a real input of its kind needs (and documented in docs/errors.md).
    public enum Limit {
        /// config.json, tokenizer_config.json, an index of shards: real ones are kilobytes.
        public static let smallJSON = 16 << 20
        /// vocab.json, merges.txt, tokenizer.json: GPT-2's are 1–2 MB, Llama 3's 9 MB.
        public static let vocabulary = 256 << 20
        /// A relation file in the MAPS format (100,000 pairs is about 4 MB).
        public static let relation = 64 << 20
        /// Report specifications and marker sets.
        public static let yaml = 4 << 20
        /// A headmaps.scores.v1 file.
        public static let scores = 256 << 20
        /// A PNG figure (compare, golden checks).
        public static let png = 256 << 20
    }

    /// The whole file, after checking that it is a regular file within `limit` bytes.
    /// - Parameter kind: what the file is meant to be ("relation file"), for messages.
    public static func read(_ path: String, kind: String, limit: Int) throws(InputFileError) -> Data {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT, let target = FileType.danglingLinkTarget(path) {
                throw .danglingLink(path: path, kind: kind, target: target)
            }
            if code == ENOENT { throw .missing(path: path, kind: kind) }
            throw .unreadable(path: path, kind: kind, reason: SystemError.describe(code))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw .unreadable(path: path, kind: kind, reason: SystemError.describe(errno))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .notRegular(path: path, kind: kind, found: FileType.describe(mode: st.st_mode))
        }
        let size = Int(st.st_size)
        guard size <= limit else { throw .tooLarge(path: path, kind: kind, bytes: size, limit: limit) }
        var data = Data(count: size)
        var done = 0
        while done < size {
            let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, kind: kind, reason: SystemError.describe(errno))
            }
            if n == 0 { throw .changedWhileReading(path: path, kind: kind) }
            done += n
        }
        return data
    }

    /// The file as UTF-8 text.
    public static func text(_ path: String, kind: String, limit: Int) throws(InputFileError) -> String {
        let data = try read(path, kind: kind, limit: limit)
        guard let text = String(data: data, encoding: .utf8) else { throw .notText(path: path, kind: kind) }
        return text
    }
}
