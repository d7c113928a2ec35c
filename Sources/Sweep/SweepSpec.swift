import Analysis
import Core
import Foundation
import Report

/// A sweep: every listed model, at every listed revision, scored alike, one
/// shard per model and revision.
///
/// ```yaml
/// models: [EleutherAI/pythia-70m, EleutherAI/pythia-160m]   # hub ids, folders, GGUF files
/// revisions: "step*"        # every cached branch or tag matching; or a list [step0, step1000];
///                           # absent: each model as given
/// relations: all            # and relation_files, k, min_pairs, sources, as in a report spec
/// threshold: 0.5            # a head counts as formed from this score on
/// heads: 4                  # lines per relation in the merged figures
/// out: pythia-sweep         # the sweep's folder (default: beside this file, named after it)
/// slurm:                    # for --slurm
///   partition: cpu
///   account: my-lab
///   cpus: 2                 # --cpus-per-task (default 2)
///   parallel: 32            # at most this many tasks at once (%M)
///   time: 30                # minutes per task (default: twice the plan's estimate)
///   options: ["--qos=short"]
/// ```
public struct SweepSpec: Sendable {
    public enum Revisions: Sendable, Equatable {
        /// These branches, tags or commits, in this order.
        case list([String])
        /// Every cached branch or tag whose name matches (`*`, `?`, `[…]`), in natural order.
        case pattern(String)
    }

    public struct Slurm: Sendable, Equatable {
        public var partition: String?
        public var account: String?
        public var cpus = 2
        public var parallel: Int?
        public var minutes: Int?
        public var options: [String] = []
    }

    public let file: String
    public let name: String
    /// The spec's folder: models, relation files and `out` are relative to it.
    public var directory: String {
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
    public let models: [String]
    public let revisions: Revisions?
    public let scoring: ScoringKeys
    public let threshold: Double
    public let headsPlotted: Int
    public let out: String
    public let slurm: Slurm

    public static let keys = ["models", "revisions", "threshold", "heads", "out", "slurm"] + ScoringKeys.keys

    public static func load(file: String) throws -> SweepSpec {
        let absolute = Paths.absolute(file)
        return try parse(try YAMLMapping.load(file: absolute), file: absolute)
    }

    public static func parse(_ yaml: YAMLMapping, file: String) throws -> SweepSpec {
        try yaml.allowKeys(keys)
        let folder = (file as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard let list = try yaml.scalars("models"), !list.isEmpty else {
            throw yaml.error("models", "is required: a list of hub ids, model folders or GGUF files")
        }
        var seen = Set<String>()
        for (text, line) in list where !seen.insert(text).inserted {
            throw SpecError(file: file, line: line, key: "models", message: "'\(Excerpt.short(text))' is listed twice")
        }
        var revisions: Revisions?
        if yaml.has("revisions") {
            if let pattern = try? yaml.string("revisions") {
                guard !pattern.isEmpty else { throw yaml.error("revisions", "is empty") }
                revisions = .pattern(pattern)
            } else if let names = try yaml.scalars("revisions") {
                guard !names.isEmpty else { throw yaml.error("revisions", "is empty") }
                var seen = Set<String>()
                for (text, line) in names where !seen.insert(text).inserted {
                    throw SpecError(
                        file: file, line: line, key: "revisions", message: "'\(Excerpt.short(text))' is listed twice")
                }
                revisions = .list(names.map(\.text))
            }
            for (model, line) in list
            where model.contains("@") || model.hasPrefix("/") || model.hasPrefix(".")
                || model.lowercased().hasSuffix(".gguf")
            {
                throw SpecError(
                    file: file, line: line, key: "models",
                    message:
                        "'\(Excerpt.short(model))': revisions are branches of hub ids in the local cache; "
                        + "list a folder or a GGUF file without revisions:, in a sweep of its own")
            }
        }
        let threshold = try yaml.double("threshold") ?? 0.5
        guard threshold.isFinite, threshold > 0, threshold <= 1 else {
            throw yaml.error("threshold", "must be above 0 and at most 1")
        }
        let heads = try yaml.int("heads") ?? 4
        guard (1...8).contains(heads) else { throw yaml.error("heads", "(lines per relation) must be 1–8") }
        let out = try yaml.string("out").map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 } ?? directory + "/" + name
        return SweepSpec(
            file: file, name: name,
            models: list.map(\.text),
            revisions: revisions, scoring: try ScoringKeys.parse(yaml, directory: directory), threshold: threshold,
            headsPlotted: heads, out: (out as NSString).standardizingPath, slurm: try parseSlurm(yaml))
    }

    static func parseSlurm(_ yaml: YAMLMapping) throws -> Slurm {
        var slurm = Slurm()
        guard let settings = try yaml.mapping("slurm") else { return slurm }
        try settings.allowKeys(["partition", "account", "cpus", "parallel", "time", "options"])
        slurm.partition = try settings.string("partition")
        slurm.account = try settings.string("account")
        slurm.cpus = try settings.int("cpus") ?? 2
        guard (1...1024).contains(slurm.cpus) else { throw settings.error("cpus", "must be 1–1024") }
        slurm.parallel = try settings.int("parallel")
        if let p = slurm.parallel, p < 1 { throw settings.error("parallel", "must be at least 1") }
        slurm.minutes = try settings.int("time")
        if let m = slurm.minutes, m < 1 { throw settings.error("time", "(minutes per task) must be at least 1") }
        slurm.options = try settings.scalars("options")?.map(\.text) ?? []
        for option in slurm.options where !option.hasPrefix("-") {
            throw settings.error("options", SweepError.sbatchOption(option: option).description)
        }
        return slurm
    }

    /// The relations every shard scores.
    public func relations() throws -> [Relation] { try scoring.relationsToScore(file: file) }
}
