import Checkpoint
import Core
import Crypto
import Foundation

/// What a shard's scores were computed from: a SHA-256 over the model's files
/// (config, tokenizer, weights; `CheckpointDirectory.modelFiles`), each named
/// with its size and content. A file of the Hugging Face cache is a link to a
/// blob named by its content's hash, and that name is used without reading
/// the file, so planning a sweep over a cache costs no reading of weights;
/// any other file is hashed whole.
public enum CheckpointDigest {
    public static func of(_ path: String) throws -> String {
        var lines: [String] = []
        for file in CheckpointDirectory.modelFiles(at: path) {
            let name = (file as NSString).lastPathComponent
            lines.append("\(name)\t\(try content(of: file))")
        }
        return hex(SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)))
    }

    /// `blob:<name>` for a link into a cache's `blobs/`, else `sha256:<hex>` of the bytes.
    static func content(of file: String) throws -> String {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: file) {
            let parts = target.split(separator: "/")
            if parts.count >= 2, parts[parts.count - 2] == "blobs", let blob = parts.last,
                blob.count >= 40, blob.allSatisfy(\.isHexDigit), FileType.status(file) != nil
            {
                return "blob:\(blob)"
            }
        }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw InputFileError.unreadable(
                path: file, kind: "model file", reason: "cannot be opened to compute its digest")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 24), !chunk.isEmpty { hasher.update(data: chunk) }
        return "sha256:" + hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 of `data`, in hex.
    public static func sha256(_ data: Data) -> String { hex(SHA256.hash(data: data)) }
}
