import Analysis
import Checkpoint
import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The shards of a sweep, one per model and revision, in the spec's order:
/// what each reads (the resolved checkpoint and its digest), its shape, and
/// its expected time and memory. Written to `plan.json`; a Slurm task finds
/// its shard there by index. The same spec and cache give the same bytes.
public struct SweepPlan: Sendable, Equatable {
    public static let schema = "headmaps.sweep-plan.v1"

    public struct Shard: Sendable, Equatable {
        public let index: Int
        /// The model's label: a hub id as written, a folder's or file's name.
        public let model: String
        /// The revision as the spec or the cache names it; nil: the model as given.
        public let revision: String?
        /// What `--model` would be given: `id@revision`, a folder, a GGUF file.
        public let reference: String
        /// The checkpoint folder or file it resolves to.
        public let path: String
        public let digest: String
        public let estimate: ShardEstimate

        /// `model@revision`, as logs, errors and the merged outputs name it.
        public var label: String { revision.map { "\(model)@\($0)" } ?? model }
        /// `shards/<folder>` holds its files.
        public var folder: String { Self.component(model) + "/" + Self.component(revision ?? "main") }

        static func component(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "--") }
    }

    public let shards: [Shard]
    /// The digest of the relations and settings every shard scores with.
    public let settings: String

    /// Resolves every model and revision of `spec` (revision patterns against
    /// the local cache) and digests each checkpoint.
    public static func make(
        _ spec: SweepSpec, settings: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        log: (String) -> Void = { _ in }
    ) throws -> SweepPlan {
        var shards: [Shard] = []
        var labels: [String: String] = [:]
        let relationCount = try spec.relations().count
        for model in spec.models {
            let local = isLocal(model, directory: spec.directory)
            let label = local ? ((model as NSString).standardizingPath as NSString).lastPathComponent : model
            if let other = labels[Shard.component(label)] {
                throw SweepError.labelsCollide(first: other, second: model, label: Shard.component(label))
            }
            labels[Shard.component(label)] = model
            let revisions: [String?]
            switch spec.revisions {
            case nil: revisions = [nil]
            case .list(let names): revisions = names
            case .pattern(let pattern):
                guard let repo = ModelLocator.cachedRepository(model, environment: environment) else {
                    throw SweepError.notInCache(model: model)
                }
                let refs = ModelLocator.refs(in: repo)
                let matching = refs.filter { fnmatch(pattern, $0, 0) == 0 }.sorted(by: NaturalOrder.less)
                guard !matching.isEmpty else {
                    throw SweepError.noMatchingRevision(model: model, pattern: pattern, known: refs)
                }
                revisions = matching
            }
            for revision in revisions {
                let reference = revision.map { "\(model)@\($0)" } ?? model
                let path = try ModelLocator.resolve(reference, relativeTo: spec.directory, environment: environment)
                shards.append(
                    Shard(
                        index: shards.count, model: label, revision: revision, reference: reference, path: path,
                        digest: try CheckpointDigest.of(path),
                        estimate: try ShardEstimate.of(path, relations: relationCount, cpus: spec.slurm.cpus)))
            }
        }
        log(
            "planned \(shards.count) shard\(shards.count == 1 ? "" : "s") (\(spec.models.count) "
                + "model\(spec.models.count == 1 ? "" : "s"))"
        )
        return SweepPlan(shards: shards, settings: settings)
    }

    static func isLocal(_ model: String, directory: String) -> Bool {
        if model.hasPrefix("/") || model.hasPrefix(".") || model.lowercased().hasSuffix(".gguf") { return true }
        return FileType.status((directory as NSString).appendingPathComponent(model)) != nil
    }

    /// The digest of what shapes every shard's scores: the tool's version,
    /// each relation's name, title and pairs, k, the minimum pairs and the sources.
    public static func settingsDigest(_ spec: SweepSpec, version: String) throws -> String {
        var lines = [
            "headmaps \(version)", "k \(spec.scoring.k.map(String.init) ?? "family")",
            "min_pairs \(spec.scoring.minimumPairs)", "sources \(spec.scoring.sourceRule.rawValue)",
        ]
        for relation in try spec.relations() {
            lines.append("relation \(relation.name)\t\(relation.title)\t\(relation.pairs.count)")
            lines += relation.pairs.map { "\($0.source)\t\($0.target)" }
        }
        return CheckpointDigest.sha256(Data(lines.joined(separator: "\n").utf8))
    }

    public func encoded() -> String {
        let q = JSONString.quoted
        var out = "{\n  \"schema\": \(q(Self.schema)),\n  \"settings_digest\": \(q(settings)),\n  \"shards\": ["
        for (i, s) in shards.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            let e = s.estimate
            out +=
                "    {\"index\": \(s.index), \"model\": \(q(s.model)), \"revision\": \(s.revision.map(q) ?? "null"), "
                + "\"reference\": \(q(s.reference)), \"path\": \(q(s.path)), \"checkpoint_digest\": \(q(s.digest)), "
                + "\"layers\": \(e.layers), \"heads\": \(e.heads), \"d_model\": \(e.dModel), \"vocab\": \(e.vocab), "
                + "\"bytes\": \(e.bytes), \"seconds\": \(e.seconds), \"memory_bytes\": \(e.memoryBytes)}"
        }
        out += shards.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    /// The plan's own digest: a Slurm task checks it before running.
    public var digest: String { CheckpointDigest.sha256(Data(encoded().utf8)) }

    public static func read(_ file: String) throws -> SweepPlan {
        let data: Data
        do { data = try InputFile.read(file, kind: "sweep plan", limit: 1 << 28) } catch InputFileError.missing {
            throw SweepError.noPlan(folder: (file as NSString).deletingLastPathComponent)
        }
        func fail(_ problem: String) -> SweepError { .unreadablePlan(file: file, problem: problem) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            root["schema"] as? String == schema, let settings = root["settings_digest"] as? String,
            let items = root["shards"] as? [[String: Any]]
        else { throw fail("is not a \(schema) file") }
        let shards = try items.enumerated().map { i, item -> Shard in
            func int(_ key: String) throws -> Int {
                guard let v = JSONBoolean.integer(item[key]) else { throw fail("shard \(i) lacks the integer \(key)") }
                return v
            }
            guard let model = item["model"] as? String, let reference = item["reference"] as? String,
                let path = item["path"] as? String, let digest = item["checkpoint_digest"] as? String,
                let seconds = (item["seconds"] as? NSNumber)?.doubleValue, try int("index") == i
            else { throw fail("shard \(i) lacks model, reference, path, checkpoint_digest, seconds or its index") }
            return Shard(
                index: i, model: model, revision: item["revision"] as? String, reference: reference, path: path,
                digest: digest,
                estimate: ShardEstimate(
                    layers: try int("layers"), heads: try int("heads"), dModel: try int("d_model"),
                    vocab: try int("vocab"), bytes: try int("bytes"), seconds: seconds,
                    memoryBytes: try int("memory_bytes")))
        }
        return SweepPlan(shards: shards, settings: settings)
    }
}

/// Names compared with their digit runs as numbers: step2000 before step10000.
enum NaturalOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let x = chunks(a)
        let y = chunks(b)
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case (.number(let m), .number(let n)): return m < n
            case (.text(let s), .text(let t)): return s < t
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    enum Chunk: Equatable {
        case text(String)
        case number(Double)
    }

    static func chunks(_ s: String) -> [Chunk] {
        var out: [Chunk] = []
        var current = ""
        var digits = false
        for c in s {
            if c.isASCII && c.isNumber != digits && !current.isEmpty {
                out.append(digits ? .number(Double(current)!) : .text(current))
                current = ""
            }
            digits = c.isASCII && c.isNumber
            current.append(c)
        }
        if !current.isEmpty { out.append(digits ? .number(Double(current)!) : .text(current)) }
        return out
    }
}
