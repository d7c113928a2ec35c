import Core
import Crypto
import Foundation

/// `manifest.json`: what went into a report and what came out, by SHA-256,
/// with the settings and the versions of everything that draws or computes.
public struct Manifest: Sendable {
    public struct Entry: Sendable {
        public let role: String
        public let path: String
        public let bytes: Int
        public let sha256: String
    }

    public var inputs: [Entry] = []
    public var outputs: [Entry] = []
    public var settings: [(String, String)] = []
    public var software: [(String, String)] = []

    public static func sha256(file path: String) throws -> (Int, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total = 0
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += chunk.count
        }
        return (total, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    public mutating func addInput(role: String, file: String, shownAs: String) throws {
        let (bytes, digest) = try Manifest.sha256(file: file)
        inputs.append(Entry(role: role, path: shownAs, bytes: bytes, sha256: digest))
    }

    public func encoded() -> String {
        func s(_ x: String) -> String { JSONString.quoted(x) }
        func entries(_ list: [Entry]) -> String {
            list.map {
                "    {\"role\": \(s($0.role)), \"path\": \(s($0.path)), \"bytes\": \($0.bytes), "
                    + "\"sha256\": \(s($0.sha256))}"
            }.joined(separator: ",\n")
        }
        func pairs(_ list: [(String, String)]) -> String {
            list.map { "    \(s($0.0)): \(s($0.1))" }.joined(separator: ",\n")
        }
        return """
            {
              "schema": "headmaps.manifest.v1",
              "inputs": [
            \(entries(inputs))
              ],
              "settings": {
            \(pairs(settings))
              },
              "software": {
            \(pairs(software))
              },
              "outputs": [
            \(entries(outputs))
              ]
            }

            """
    }
}
