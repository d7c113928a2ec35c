import Analysis
import Checkpoint
import Core
import Experiments
import Foundation

/// The paper's multi-token experiment (`multitoken:`): per relation, the
/// pairs whose source is several tokens and whose target is one, a head's
/// output at the source's last token in "This is a document about <X>" (or
/// `template:`) ranked over the vocabulary, and the correlation of these
/// dynamic scores with the static ones; its figure, `multitoken.json` and table.
public struct MultiTokenPart: ReportPart {
    public let name = "multitoken"
    public let relations: [String]
    public let template: String
    /// Multi-token pairs a relation needs (default: the spec's `min_pairs`).
    public let minimumPairs: Int

    public static let kind = ReportPartKind(keys: ["multitoken"]) { yaml, spec in
        guard let m = try yaml.mapping("multitoken") else { return nil }
        try m.allowKeys(["relations", "template", "min_pairs"])
        let template = try m.string("template") ?? MultiTokenScores.paperTemplate
        if let problem = PromptTemplates.problem([template]) { throw m.error("template", problem) }
        let minimumPairs = try m.int("min_pairs") ?? spec.minimumPairs
        guard minimumPairs >= 1 else { throw m.error("min_pairs", "must be at least 1") }
        return MultiTokenPart(
            relations: try ExperimentsPart.relations(m, spec: spec), template: template, minimumPairs: minimumPairs)
    }

    struct Row {
        let relation: String
        let pairs: String
        let prompts: String
        let withContext: String
        let withoutContext: String
        let suppressionWith: String
        let suppressionWithout: String
    }

    struct Skipped {
        let relation: String
        let reason: String
    }

    struct Rows {
        let template: String
        /// The template as a Markdown code span.
        let templateCode: String
        let rows: [Row]
        let hasRows: Bool
        let skipped: [Skipped]
        let hasSkipped: Bool
    }

    public struct Computed { let rows: Rows }

    public func compute(_ context: inout ReportContext) throws -> Computed {
        let analysis = context.analysis
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: context.modelPath)
        var results: [MultiTokenScores.RelationResult] = []
        for name in relations {
            guard let i = analysis.tokenized.firstIndex(where: { $0.relation.name == name }) else { continue }
            context.log("multi-token scores: \(name)")
            results.append(
                try MultiTokenScores.run(
                    relation: analysis.tokenized[i].relation, k: analysis.tokenized[i].k,
                    statics: context.document.relations[i], model: analysis.model, decoder: decoder,
                    tokenizer: analysis.loaded.tokenizer, template: template,
                    minimumPairs: minimumPairs, log: context.log))
        }
        context.files["multitoken.json"] = Data(
            MultiTokenDocument.encode(model: context.document.source, template: template, relations: results).utf8)
        if let figure = ExperimentFigures.dynamic(
            results.compactMap(\.scores), statics: context.document, modelName: context.spec.modelName,
            yLabel: "multi-token score")
        {
            context.log("rendering figures/multitoken.png and .pdf")
            context.figures.append(
                .init(
                    name: "multitoken", png: try figure.pngData(dpi: ReportSettings.defaultDPI),
                    pdf: try figure.pdfData(),
                    caption: "Static scores against multi-token scores (every head)", cellMaps: []))
        }
        let titles = context.titles
        let rows = results.compactMap { r -> Row? in
            guard let s = r.scores else { return nil }
            let dynamic = DynamicRow(s, title: titles[r.name] ?? r.name)
            return Row(
                relation: dynamic.relation, pairs: "\(r.pairsMultiToken) of \(r.pairsTotal)", prompts: dynamic.prompts,
                withContext: dynamic.withContext, withoutContext: dynamic.withoutContext,
                suppressionWith: dynamic.suppressionWith, suppressionWithout: dynamic.suppressionWithout)
        }
        if !rows.isEmpty {
            let table = PaperTable(
                name: "multitoken",
                caption: "Pearson r (p) of static scores against multi-token scores over every head",
                columns: [
                    ("relation", .left), ("multi-token pairs", .right), ("prompts", .right), ("with context", .right),
                    ("without context", .right), ("suppression, with", .right), ("suppression, without", .right),
                ],
                rows: rows.map {
                    [
                        $0.relation, $0.pairs, $0.prompts, $0.withContext, $0.withoutContext, $0.suppressionWith,
                        $0.suppressionWithout,
                    ]
                })
            context.files.merge(table.files) { $1 }
        }
        let skipped = results.filter { $0.scores == nil }.map {
            Skipped(relation: titles[$0.name] ?? $0.name, reason: $0.skipReason ?? "skipped")
        }
        return Computed(
            rows: Rows(
                template: template, templateCode: MarkdownText.codeSpan(template), rows: rows, hasRows: !rows.isEmpty,
                skipped: skipped, hasSkipped: !skipped.isEmpty))
    }

    public func section(_ context: ReportContext, _ computed: Computed) -> ReportSection? {
        ReportSection(rows: computed.rows, contents: ("multi-token-sources", "Multi-token sources"))
    }
}
