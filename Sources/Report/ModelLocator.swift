import Foundation

/// Finds a model given as a directory or as a Hugging Face id (`gpt2-medium`,
/// `openai-community/gpt2-medium`) in the local Hugging Face cache. Never
/// touches the network.
public enum ModelLocator {
    public struct NotFound: Error, CustomStringConvertible {
        public let id: String
        public let searched: [String]
        public var description: String {
            """
            model '\(id)' is neither a directory nor in the local Hugging Face cache. Looked in:
            \(searched.map { "  - \($0)" }.joined(separator: "\n"))
            Get the weights once, on a machine with network access, e.g.
              huggingface-cli download \(canonicalId(id)) config.json model.safetensors vocab.json merges.txt
            then copy the cache (or point HF_HUB_CACHE at it), or pass the model directory itself.
            """
        }
    }

    /// GPT-2 family models moved under `openai-community/`; both spellings name one model.
    static let organisations = ["openai-community"]

    static func canonicalId(_ id: String) -> String {
        id.contains("/") ? id : "openai-community/\(id)"
    }

    /// The cache roots, in Hugging Face's order of precedence.
    public static func cacheRoots(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var roots: [String] = []
        if let hub = environment["HF_HUB_CACHE"], !hub.isEmpty { roots.append(hub) }
        if let home = environment["HF_HOME"], !home.isEmpty { roots.append(home + "/hub") }
        let user = environment["HOME"] ?? NSHomeDirectory()
        roots.append((environment["XDG_CACHE_HOME"].map { $0 + "/huggingface/hub" }) ?? user + "/.cache/huggingface/hub")
        var seen = Set<String>()
        return roots.filter { seen.insert($0).inserted }
    }

    /// `reference` as a directory (relative to `base`), else as a hub id.
    public static func resolve(_ reference: String, relativeTo base: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let path = reference.hasPrefix("/") ? reference : (base as NSString).appendingPathComponent(reference)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (path as NSString).standardizingPath
        }
        var names = [reference]
        if !reference.contains("/") { names += organisations.map { "\($0)/\(reference)" } }
        if let slash = reference.firstIndex(of: "/"), organisations.contains(String(reference[..<slash])) {
            names.append(String(reference[reference.index(after: slash)...]))
        }
        var searched: [String] = []
        for root in cacheRoots(environment: environment) {
            for name in names {
                let repo = "\(root)/models--\(name.replacingOccurrences(of: "/", with: "--"))"
                searched.append(repo)
                if let snapshot = snapshot(in: repo) { return snapshot }
            }
        }
        throw NotFound(id: reference, searched: searched)
    }

    /// The snapshot `refs/main` points at, or the only snapshot there is.
    static func snapshot(in repo: String) -> String? {
        let snapshots = repo + "/snapshots"
        if let main = try? String(contentsOfFile: repo + "/refs/main", encoding: .utf8) {
            let path = snapshots + "/" + main.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.fileExists(atPath: path + "/config.json") { return path }
        }
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).sorted()
            .filter { FileManager.default.fileExists(atPath: "\(snapshots)/\($0)/config.json") }
        return all.count == 1 ? "\(snapshots)/\(all[0])" : nil
    }
}
