import Analysis
import ArgumentParser
import Checkpoint
import Core
import Experiments
import Foundation
import Report

struct DynamicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dynamic",
        abstract:
            "The paper's first experiment: dynamic relation scores on prompts, and their correlation with the static "
            + "maps.",
        discussion: """
            For each relation (at least --min-pairs kept pairs) and template (the paper's four, or --templates \
            FILE: a JSON array of strings with <X> where the source word goes), one prompt per kept pair. A head's \
            output at the last position, z·W_O·W_U, hits when the target is in its top k. With context: the run's \
            own z; without: its attention there forced onto the source (the residual stream stays the clean run's). \
            Pearson correlations (with p-values) against the static scores over heads × templates. Writes \
            headmaps.dynamic.v1 to --out; a summary per relation goes to stderr. Every supported family.
            """)

    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .long, help: "A JSON array of templates, each with one <X> (default: the paper's four).")
    var templates: String?

    @Option(name: .long, help: "Where to write dynamic.json.")
    var out: String

    @Option(name: .long, help: "Also draw static against dynamic scores, a panel per relation (.png, .pdf or .svg).")
    var figure: String?

    func run() throws {
        try reportingErrors {
            try analysis.checkOutputs(
                [.init(out, option: "--out")] + (figure.map { [.init($0, option: "--figure")] } ?? []),
                reading: templates.map { [.init($0, role: "the templates file")] } ?? [])
            let progress = Progress(quiet: analysis.quiet)
            let templates = try self.templates.map(Self.readTemplates) ?? DynamicScores.paperTemplates
            let result = try ModelAnalysis(try analysis.request(), log: progress.log)
            let (decoder, _) = try Architectures.openDecoder(modelDirectory: result.request.modelPath)
            var relations: [DynamicScores.RelationResult] = []
            for (tokenized, statics) in zip(result.tokenized, result.document.relations) where !tokenized.skipped {
                progress.log(
                    "dynamic scores: \(tokenized.relation.name), \(tokenized.pairsKept) pairs × \(templates.count) "
                        + "templates"
                )
                let r = try DynamicScores.run(
                    relation: tokenized, statics: statics, model: result.model, decoder: decoder,
                    tokenizer: result.loaded.tokenizer, templates: templates, log: progress.log)
                progress.log(DynamicDocument.summary(r))
                relations.append(r)
            }
            try ExperimentOutput.write(
                DynamicDocument.encode(model: result.document.source, templates: templates, relations: relations),
                to: out, figure: figure,
                drawing: { ExperimentFigures.dynamic(relations, statics: result.document, modelName: "") },
                log: progress.log)
        }
    }

    static func readTemplates(_ path: String) throws -> [String] {
        try PromptTemplates.parse(
            InputFile.read(path, kind: "templates file", limit: InputFile.Limit.relation), path: path)
    }
}
