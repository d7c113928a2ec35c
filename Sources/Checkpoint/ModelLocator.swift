import Core
import Foundation

/// Finds a model given as a directory or as a Hugging Face id (`gpt2-medium`,
/// `openai-community/gpt2-medium`, `EleutherAI/pythia-160m@step1000`) in the
/// local Hugging Face cache: `id@revision` picks a branch or tag (a file under
/// `refs/`) or a commit (a snapshot, full hash or a unique prefix of at least
/// seven characters). Never touches the network.
public enum ModelLocator {
    public struct NotFound: Error, CustomStringConvertible {
        public let id: String
        public let searched: [String]
        /// Ids in the caches that look like `id` (a typo's likely target).
        public var suggestions: [String] = []
        public var description: String {
            // A path that does not exist is a missing folder, not a hub id to look up.
            if id.hasPrefix("/") || id.hasPrefix(".") || id.split(separator: "/").count > 2 {
                return "\(id): model directory does not exist"
            }
            let suggestion = suggestions.isEmpty ? "" : "Did you mean: \(suggestions.joined(separator: ", "))?\n"
            return """
                model '\(id)' is neither a directory nor in the local Hugging Face cache. Looked in:
                \(searched.map { "  - \($0)" }.joined(separator: "\n"))
                \(suggestion)Get the weights once, on a machine with network access, e.g.
                  huggingface-cli download \(canonicalId(id)) --include "*.json" "*.safetensors" "*.txt"
                then copy the cache (or point HF_HUB_CACHE at it), or pass the model directory itself.
                """
        }
    }

    public enum CacheError: Error, CustomStringConvertible, Equatable {
        case badRef(file: String)
        case danglingLink(file: String, target: String)
        case unknownRevision(repo: String, revision: String, known: [String])
        case missingSnapshot(ref: String, snapshot: String, found: String)
        case ambiguousSnapshots(repo: String, commits: [String])
        public var description: String {
            switch self {
            case .ambiguousSnapshots(let repo, let commits):
                return
                    "\(repo): holds \(commits.count) snapshots "
                    + "(\(commits.map { String($0.prefix(12)) }.joined(separator: ", "))) "
                    + "and no refs/main to choose between them; name one as id@revision (a commit or a prefix of one)"
            case .missingSnapshot(let ref, let snapshot, let found):
                return
                    "\(ref): names snapshot \(snapshot), which \(found): the cache holds an interrupted download; "
                    + "fetch that revision again (no other snapshot is read in its place)"
            case .unknownRevision(let repo, let revision, let known):
                return
                    "\(repo): no branch, tag or commit '\(revision)' in the cache (it "
                    + "holds: \(known.isEmpty ? "nothing" : known.joined(separator: ", "))); download that "
                    + "revision first"
            case .danglingLink(let file, let target):
                return
                    "\(file): a link to \(target), which does not exist: the cache holds an incomplete download; "
                    + "fetch the model again"
            case .badRef(let file):
                return
                    "\(file): is not a commit hash (letters and digits); a ref that names a path would lead outside "
                    + "the cache, so it is refused"
            }
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
        roots.append(
            (environment["XDG_CACHE_HOME"].map { $0 + "/huggingface/hub" }) ?? user + "/.cache/huggingface/hub")
        var seen = Set<String>()
        return roots.filter { seen.insert($0).inserted }
    }

    /// `reference` as a directory or a GGUF file (relative to `base`), else as a hub id.
    public static func resolve(
        _ reference: String, relativeTo base: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String {
        let path = reference.hasPrefix("/") ? reference : (base as NSString).appendingPathComponent(reference)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
            isDirectory.boolValue || reference.lowercased().hasSuffix(".gguf")
        {
            return (path as NSString).standardizingPath
        }
        var id = reference
        var revision: String?
        if let at = reference.lastIndex(of: "@") {
            id = String(reference[..<at])
            revision = String(reference[reference.index(after: at)...])
        }
        var names = [id]
        if !id.contains("/") { names += organisations.map { "\($0)/\(id)" } }
        if let slash = id.firstIndex(of: "/"), organisations.contains(String(id[..<slash])) {
            names.append(String(id[id.index(after: slash)...]))
        }
        var searched: [String] = []
        for root in cacheRoots(environment: environment) {
            for name in names {
                let repo = "\(root)/models--\(name.replacingOccurrences(of: "/", with: "--"))"
                searched.append(repo)
                if let revision, FileManager.default.fileExists(atPath: repo) {
                    return try snapshot(in: repo, revision: revision)
                }
                if let snapshot = try snapshot(in: repo) { return snapshot }
            }
        }
        var notFound = NotFound(id: reference, searched: searched)
        notFound.suggestions = suggestions(for: reference, roots: cacheRoots(environment: environment))
        throw notFound
    }

    /// Up to three cached ids within a few edits of `reference`, closest first.
    static func suggestions(for reference: String, roots: [String]) -> [String] {
        var ids = Set<String>()
        for root in roots {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            where entry.hasPrefix("models--") {
                ids.insert(entry.dropFirst("models--".count).replacingOccurrences(of: "--", with: "/"))
            }
        }
        let wanted = reference.lowercased()
        let scored = ids.map { id -> (String, Int) in
            let short = id.split(separator: "/").last.map(String.init) ?? id
            return (id, min(editDistance(wanted, id.lowercased()), editDistance(wanted, short.lowercased())))
        }
        let limit = max(2, wanted.count / 3)
        return scored.filter { $0.1 <= limit }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(3).map(\.0)
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    /// The cache folder (`models--org--name`) holding hub id `id` (without
    /// `@revision`), in the caches' order of precedence; nil where none does.
    public static func cachedRepository(
        _ id: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String? {
        var names = [id]
        if !id.contains("/") { names += organisations.map { "\($0)/\(id)" } }
        for root in cacheRoots(environment: environment) {
            for name in names {
                let repo = "\(root)/models--\(name.replacingOccurrences(of: "/", with: "--"))"
                if FileManager.default.fileExists(atPath: repo) { return repo }
            }
        }
        return nil
    }

    /// The branch and tag names under a cached repository's `refs/`, sorted.
    public static func refs(in repo: String) -> [String] {
        ((FileManager.default.enumerator(atPath: repo + "/refs")?.allObjects as? [String]) ?? [])
            .filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: repo + "/refs/" + name, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            }.sorted()
    }

    /// The snapshot `refs/main` points at, or the only snapshot there is.
    static func snapshot(in repo: String) throws -> String? {
        let snapshots = repo + "/snapshots"
        if let path = try snapshot(ofRef: repo + "/refs/main", snapshots: snapshots) { return path }
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).sorted()
            .filter { holdsModel("\(snapshots)/\($0)") }
        if all.count > 1 { throw CacheError.ambiguousSnapshots(repo: repo, commits: all) }
        return all.count == 1 ? "\(snapshots)/\(all[0])" : nil
    }

    /// The snapshot of `revision`: a branch or tag under `refs/`, else a commit.
    static func snapshot(in repo: String, revision: String) throws -> String {
        let snapshots = repo + "/snapshots"
        let commits = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).sorted()
        let refs = self.refs(in: repo)
        let components = revision.split(separator: "/", omittingEmptySubsequences: false)
        if !revision.isEmpty, !components.contains(".."), !components.contains(""), refs.contains(revision),
            let path = try snapshot(ofRef: repo + "/refs/" + revision, snapshots: snapshots)
        {
            return path
        }
        let matching =
            revision.count >= 7 && revision.allSatisfy(\.isHexDigit)
            ? commits.filter { $0.hasPrefix(revision.lowercased()) } : []
        if matching.count == 1, FileManager.default.fileExists(atPath: "\(snapshots)/\(matching[0])/config.json") {
            return "\(snapshots)/\(matching[0])"
        }
        throw CacheError.unknownRevision(
            repo: repo, revision: Excerpt.short(revision),
            known: refs.map { "branch/tag \($0)" } + commits.map { "commit \($0.prefix(12))" })
    }

    /// A snapshot with a config.json, or a GGUF file (the "-GGUF" repositories).
    static func holdsModel(_ snapshot: String) -> Bool {
        if FileManager.default.fileExists(atPath: snapshot + "/config.json") { return true }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshot)) ?? []
        return names.contains { $0.lowercased().hasSuffix(".gguf") && FileType.status(snapshot + "/" + $0) != nil }
    }

    /// The snapshot a ref file points at. A ref is a commit hash; one that
    /// names a path (`../../..`) would lead the analysis out of the cache, and is refused.
    static func snapshot(ofRef refFile: String, snapshots: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: refFile) else { return nil }
        let ref = try InputFile.text(refFile, kind: "Hugging Face cache ref", limit: 4096).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard !ref.isEmpty, ref.count <= 128,
            ref.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw CacheError.badRef(file: refFile)
        }
        let path = snapshots + "/" + ref
        if holdsModel(path) { return path }
        if let target = FileType.danglingLinkTarget(path + "/config.json") {
            throw CacheError.danglingLink(file: path + "/config.json", target: target)
        }
        // The ref names this revision: a missing or incomplete snapshot is an error, never a reason to read another.
        let found = FileType.status(path) == nil ? "does not exist" : "has no config.json and no GGUF file"
        throw CacheError.missingSnapshot(ref: refFile, snapshot: path, found: found)
    }
}
