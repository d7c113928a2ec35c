import Analysis
import Core
import Foundation

/// A report specification: which model, which relations, which figures.
///
/// ```yaml
/// title: "GPT-2 medium: name copying and country-to-capital heads"
/// model: gpt2-medium              # a directory (relative to this file), a GGUF file or a Hugging Face id
/// # models: [gpt2, gpt2-medium]   # or a study of several models,
/// # revisions: [step0, step1000]  # or of model's training revisions (study: {threshold: 0.5})
/// model_name: GPT-2 medium        # used in panel titles
/// relations: [name_copying, country_to_capital]   # or: all (the default)
/// relation_files: []              # MAPS-format JSON files, relative to this file
/// k: 10                           # optional: override every relation's k (default: the family's, as the paper)
/// sources: mlp0                   # optional: mlp0 (the method), embedding, mlp0-all-layers
/// head_cards: 3                   # cards for the top N heads of each panel and every marked head (0: none)
/// salient_operations: cards       # or: all (also salient.txt, every head's salient operations)
/// dynamic:                        # optional: the paper's experiment 1 (GPT-2 family)
///   relations: [name_copying]     #   default: the relations of the figures' panels
///   templates: ["No <X> means no"] #  default: the paper's four
/// ablation:                       # optional: the paper's experiment 2
///   relations: [country_to_capital]
///   heads: 150
///   random_draws: 5
///   seed: 0
///   control: name_copying         #   optional: the heads ablated on this relation's task too
/// min_pairs: 30
/// figures:
///   - name: figure                # figures/figure.png and .pdf
///     columns: 2
///     panels:
///       - relation: name_copying
///         suppression: false
///         title: "GPT-2 medium: Name Copying heads"
///         colorbar_label: Name Copying score
///         markers: markers/gpt2-medium-mover-heads.yaml
///         range: [0, 1]
///         colormap: viridis       # or: diverging
///         legend: best            # or: below
///   - name: overview
///     columns: 5
///     panels: all                 # one small panel per scored relation
/// ```
public struct ReportSpec {
    public var file: String
    public var name: String
    public var title: String
    public var summary: String?
    public var model: String
    public var modelName: String
    public var relations: [String]?
    public var relationFiles: [String]
    public var k: Int?
    public var sourceRule: SourceRule = .mlp0
    public var minimumPairs: Int
    /// The models the report scores: one, or a study's (`models:`, or
    /// `model:` with `revisions:`), each with the label the study shows.
    public var members: [Member] = []
    /// Which member the single-model sections describe: the first model of
    /// `models:`, the last of `revisions:` (the trained model).
    public var primaryMember = 0
    /// `revisions:`: the members are one model's training revisions, in order.
    public var isTraining = false
    /// The report's sections, in order, as the spec asks for them.
    public var parts: [any ReportPart] = []

    public struct Member: Sendable, Equatable {
        public let label: String
        public let reference: String
    }

    /// The spec keys every report reads; each part reads its own (`ReportPartKind.keys`).
    public static let sharedKeys =
        [
            "title", "summary", "model", "models", "revisions", "model_name",
        ] + ScoringKeys.keys
    /// At most this many models in one study.
    public static let maximumMembers = 500

    /// Paths inside the spec are relative to its folder.
    public var directory: String {
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// The figures part's figures (none without one).
    public var figures: [FiguresPart.Figure] { parts.lazy.compactMap { $0 as? FiguresPart }.first?.figures ?? [] }
    /// The experiments part's settings, where the spec asks for them.
    public var dynamic: ExperimentsPart.DynamicSpec? { parts.lazy.compactMap { $0 as? ExperimentsPart }.first?.dynamic }
    public var ablation: ExperimentsPart.AblationSpec? {
        parts.lazy.compactMap { $0 as? ExperimentsPart }.first?.ablation
    }

    /// Relative paths in a spec are relative to its folder; the spec's own
    /// path is made absolute first, so nothing derived from it depends on
    /// where the command was typed.
    public static func load(file: String, parts: [ReportPartKind] = ReportParts.standard) throws -> ReportSpec {
        let absolute = Paths.absolute(file)
        return try parse(try YAMLMapping.load(file: absolute), file: absolute, parts: parts)
    }

    /// A spec from its YAML; paths in it are relative to `file`'s folder.
    /// Each part is made from the spec in turn, seeing the parts before it.
    public static func parse(
        _ yaml: YAMLMapping, file: String, parts kinds: [ReportPartKind] = ReportParts.standard
    ) throws -> ReportSpec {
        try yaml.allowKeys(sharedKeys + kinds.flatMap(\.keys))
        let folder = (file as NSString).deletingLastPathComponent
        let scoring = try ScoringKeys.parse(yaml, directory: folder.isEmpty ? "." : folder)
        let (members, primary, isTraining) = try parseMembers(yaml)
        var spec = ReportSpec(
            file: file, name: ((file as NSString).lastPathComponent as NSString).deletingPathExtension,
            title: try yaml.string("title") ?? "HeadMaps report",
            summary: try yaml.string("summary"),
            model: members[primary].reference,
            modelName: try yaml.string("model_name") ?? "",
            relations: scoring.relations, relationFiles: scoring.relationFiles, k: scoring.k,
            minimumPairs: scoring.minimumPairs)
        spec.sourceRule = scoring.sourceRule
        spec.members = members
        spec.primaryMember = primary
        spec.isTraining = isTraining
        for kind in kinds {
            if let part = try kind.make(yaml, spec) { spec.parts.append(part) }
        }
        return spec
    }

    /// `model:` alone, `models:` (a list of ids, folders or GGUF files), or
    /// `model:` (a Hugging Face id) with `revisions:` (its branches, tags or commits).
    static func parseMembers(_ yaml: YAMLMapping) throws -> (members: [Member], primary: Int, isTraining: Bool) {
        func distinct(_ key: String) throws -> [String]? {
            guard let list = try yaml.scalars(key) else { return nil }
            guard !list.isEmpty else { throw yaml.error(key, "is empty") }
            guard list.count <= maximumMembers else {
                throw yaml.error(key, "lists \(list.count); at most \(maximumMembers) in one report")
            }
            var seen = Set<String>()
            for (text, line) in list where !seen.insert(text).inserted {
                throw SpecError(
                    file: yaml.file, line: line, key: key, message: "'\(Excerpt.short(text))' is listed twice")
            }
            return list.map(\.text)
        }
        let models = try distinct("models")
        let revisions = try distinct("revisions")
        if let models {
            guard try yaml.string("model") == nil else {
                throw yaml.error("models", "give model: (one model) or models: (a study), not both")
            }
            guard revisions == nil else {
                throw yaml.error("revisions", "belong to one model: give model: with revisions:, not models:")
            }
            // Labels: a folder's or file's name, a hub id as written; the whole reference where two would read alike.
            let short = models.map {
                ($0.hasPrefix("/") || $0.hasPrefix(".")) ? ($0 as NSString).lastPathComponent : $0
            }
            let labels = Set(short).count == short.count ? short : models
            return (zip(labels, models).map { Member(label: $0, reference: $1) }, 0, false)
        }
        let model = try yaml.requiredString("model")
        if let revisions {
            guard !model.contains("@"), !model.hasPrefix("/"), !model.hasPrefix("."),
                !model.lowercased().hasSuffix(".gguf")
            else {
                throw yaml.error(
                    "revisions",
                    "need model: to be a Hugging Face id without @revision (the revisions are its branches), not "
                        + "'\(Excerpt.short(model))'"
                )
            }
            return (revisions.map { Member(label: $0, reference: "\(model)@\($0)") }, revisions.count - 1, true)
        }
        return ([Member(label: model, reference: model)], 0, false)
    }

    /// The files the parts read (marker sets), each once, in order of first use.
    public var partInputs: [ReportInput] {
        parts.flatMap(\.inputs).reduce(into: [ReportInput]()) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The relations to score: those named, those the parts need (the
    /// figures' panels, an ablation's control), the files.
    public func relationsToScore() throws -> [Relation] {
        try ScoringKeys(
            relations: relations, relationFiles: relationFiles, k: k, minimumPairs: minimumPairs, sourceRule: sourceRule
        ).relationsToScore(adding: parts.flatMap(\.relationsNeeded), file: file)
    }
}
