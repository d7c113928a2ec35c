import Analysis
import Checkpoint
import Core
import Experiments
import Foundation

/// The paper's experiments that run the model (`dynamic:`, `ablation:`):
/// static against dynamic scores, and accuracy as a relation's top heads are
/// ablated against random heads; their figures, `dynamic.json` and
/// `ablation-RELATION.json`.
public struct ExperimentsPart: ReportPart {
    public struct DynamicSpec: Sendable {
        public var relations: [String]
        public var templates: [String]
    }

    public struct AblationSpec: Sendable {
        public var relations: [String]
        public var heads = 150
        public var randomDraws = 5
        public var seed: UInt64 = 0
        public var control: String?
    }

    /// The experiments' rows, as the section and the tables for papers show them.
    public struct Computed {
        let dynamic: [DynamicRow]
        let ablation: [AblationRow]
    }

    public let name = "experiments"
    public let dynamic: DynamicSpec?
    public let ablation: AblationSpec?

    struct Rows {
        let dynamic: [DynamicRow]
        let ablation: [AblationRow]
        let hasDynamic: Bool
        let hasAblation: Bool
    }

    public var relationsNeeded: [String] { ablation?.control.map { [$0] } ?? [] }

    public static let kind = ReportPartKind(keys: ["dynamic", "ablation"]) { yaml, spec in
        let part = ExperimentsPart(
            dynamic: try parseDynamic(yaml, spec: spec), ablation: try parseAblation(yaml, spec: spec))
        return part.dynamic == nil && part.ablation == nil ? nil : part
    }

    public func compute(_ context: inout ReportContext) throws -> Computed {
        let analysis = context.analysis
        let document = context.document
        let log = context.log
        var dynamicResults: [DynamicScores.RelationResult] = []
        var ablations: [Ablation] = []
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: context.modelPath)
        func scored(_ name: String) -> (TokenizedRelation, RelationScores)? {
            guard let i = analysis.tokenized.firstIndex(where: { $0.relation.name == name }),
                !analysis.tokenized[i].skipped
            else { return nil }
            return (analysis.tokenized[i], document.relations[i])
        }
        for name in dynamic?.relations ?? [] {
            guard let (tokenized, statics) = scored(name) else {
                log("dynamic scores: \(name) is skipped")
                continue
            }
            log("dynamic scores: \(name)")
            dynamicResults.append(
                try DynamicScores.run(
                    relation: tokenized, statics: statics, model: analysis.model, decoder: decoder,
                    tokenizer: analysis.loaded.tokenizer, templates: dynamic!.templates, log: log))
        }
        if let a = ablation {
            for name in a.relations {
                guard let (tokenized, statics) = scored(name) else {
                    log("ablation: \(name) is skipped")
                    continue
                }
                let control = a.control.flatMap { c in scored(c).map { ($0.0, Ablation.paperTemplates[c]!) } }
                ablations.append(
                    try Ablation.run(
                        relation: tokenized, statics: statics, decoder: decoder, tokenizer: analysis.loaded.tokenizer,
                        template: Ablation.paperTemplates[name]!, maximumHeads: a.heads, randomDraws: a.randomDraws,
                        seed: a.seed, control: control, log: log))
            }
        }
        if let figure = ExperimentFigures.dynamic(dynamicResults, statics: document, modelName: context.spec.modelName)
        {
            log("rendering figures/dynamic.png and .pdf")
            context.figures.append(
                .init(
                    name: "dynamic", png: try figure.pngData(dpi: ReportSettings.defaultDPI), pdf: try figure.pdfData(),
                    caption: "Static against dynamic scores (every head × template)", cellMaps: []))
        }
        for a in ablations {
            let title = document.relation(named: a.relation)?.title ?? a.relation
            let figure = ExperimentFigures.ablation(
                a, title: "\(context.titlePrefix)\(title): accuracy as heads are ablated")
            context.figures.append(
                .init(
                    name: "ablation-\(a.relation)", png: try figure.pngData(dpi: ReportSettings.defaultDPI),
                    pdf: try figure.pdfData(),
                    caption: "\(title): accuracy as its top static heads are ablated, against random heads",
                    cellMaps: []))
        }
        if !dynamicResults.isEmpty {
            context.files["dynamic.json"] = Data(
                DynamicDocument.encode(
                    model: document.source, templates: dynamic?.templates ?? [],
                    relations: dynamicResults
                ).utf8)
        }
        for a in ablations {
            context.files["ablation-\(a.relation).json"] = Data(AblationDocument.encode(model: document.source, a).utf8)
        }
        let titles = context.titles
        let computed = Computed(
            dynamic: dynamicResults.map { DynamicRow($0, title: titles[$0.name] ?? $0.name) },
            ablation: ablations.map { AblationRow($0, title: titles[$0.relation] ?? $0.relation) })
        if !computed.dynamic.isEmpty {
            let rows = computed.dynamic
            let table = PaperTable(
                name: "dynamic", caption: "Pearson r (p) of static against dynamic scores over every head and template",
                columns: [
                    ("relation", .left), ("with context", .right), ("without context", .right),
                    ("suppression, with", .right), ("suppression, without", .right), ("prompts per template", .right),
                ],
                rows: rows.map {
                    [
                        $0.relation, $0.withContext, $0.withoutContext, $0.suppressionWith, $0.suppressionWithout,
                        $0.prompts,
                    ]
                })
            context.files.merge(table.files) { $1 }
        }
        if !computed.ablation.isEmpty {
            let rows = computed.ablation
            let table = PaperTable(
                name: "ablation",
                caption: "Accuracy before and after ablating each relation's heads, against random heads",
                columns: [
                    ("relation", .left), ("heads", .right), ("accuracy", .right), ("after its heads", .right),
                    ("after random heads", .right), ("control task", .left),
                ],
                rows: rows.map { [$0.relation, String($0.heads), $0.before, $0.afterTop, $0.afterRandom, $0.control] })
            context.files.merge(table.files) { $1 }
        }
        return computed
    }

    public func section(_ context: ReportContext, _ computed: Computed) -> ReportSection? {
        guard !computed.dynamic.isEmpty || !computed.ablation.isEmpty else { return nil }
        let rows = Rows(
            dynamic: computed.dynamic, ablation: computed.ablation,
            hasDynamic: !computed.dynamic.isEmpty, hasAblation: !computed.ablation.isEmpty)
        return ReportSection(rows: rows, contents: ("running-the-model", "Running the model"))
    }

    /// The relations an experiment runs on: those it lists, else the figures' panels'.
    static func relations(_ m: YAMLMapping, spec: ReportSpec) throws -> [String] {
        let panelRelations = spec.figures.flatMap { $0.panels ?? [] }.map(\.relation)
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let list = try m.scalars("relations")?.map(\.text) ?? panelRelations
        let scored = try spec.relationsToScore().map(\.name)
        for name in list where !scored.contains(name) {
            throw m.error(
                "relations",
                "'\(Excerpt.short(name))' is not among the relations this report scores "
                    + "(\(scored.joined(separator: ", ")))"
            )
        }
        guard !list.isEmpty else {
            throw m.error("relations", "is empty, and the report has no figure panels to take them from")
        }
        return list
    }

    static func parseDynamic(_ yaml: YAMLMapping, spec: ReportSpec) throws -> DynamicSpec? {
        guard let d = try yaml.mapping("dynamic") else { return nil }
        try d.allowKeys(["relations", "templates"])
        let templates = try d.scalars("templates")?.map(\.text) ?? DynamicScores.paperTemplates
        if let problem = PromptTemplates.problem(templates) { throw d.error("templates", problem) }
        return DynamicSpec(relations: try relations(d, spec: spec), templates: templates)
    }

    static func parseAblation(_ yaml: YAMLMapping, spec: ReportSpec) throws -> AblationSpec? {
        guard let a = try yaml.mapping("ablation") else { return nil }
        try a.allowKeys(["relations", "heads", "random_draws", "seed", "control"])
        var ablation = AblationSpec(relations: try relations(a, spec: spec))
        for name in ablation.relations where Ablation.paperTemplates[name] == nil {
            let those = Ablation.paperTemplates.keys.sorted().joined(separator: ", ")
            throw a.error("relations", "'\(name)' has no task template in the paper (those that do: \(those))")
        }
        ablation.heads = try a.int("heads") ?? 150
        ablation.randomDraws = try a.int("random_draws") ?? 5
        guard (1...10_000).contains(ablation.heads), (0...100).contains(ablation.randomDraws) else {
            throw a.error("heads", "heads must be 1–10000 and random_draws 0–100")
        }
        let seed = try a.int("seed") ?? 0
        guard seed >= 0 else { throw a.error("seed", "must be 0 or more, as --seed") }
        ablation.seed = UInt64(seed)
        ablation.control = try a.string("control")
        if let c = ablation.control, Ablation.paperTemplates[c] == nil || !BuiltinRelations.names.contains(c) {
            throw a.error("control", "'\(Excerpt.short(c))' is not a built-in relation with a task template")
        }
        return ablation
    }
}
