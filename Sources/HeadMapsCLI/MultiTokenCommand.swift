import Analysis
import ArgumentParser
import Checkpoint
import Core
import Experiments
import Foundation
import Report

struct MultiTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multitoken",
        abstract:
            "The paper's multi-token experiment: do the static maps hold when the source is several tokens?",
        discussion: """
            For each relation, the pairs whose source is more than one token and whose target is one (a \
            relation with fewer than --min-pairs of them is skipped, as the static scores skip), one prompt \
            each: the template ("This is a document about <X>", or --template) with the source in it. At the \
            source's last token, a head's output z·W_O·W_U hits when the target is in its top k (the static \
            scores' k): with context, the run's own z; without, its attention there forced onto that token. \
            Pearson correlations (with p and n) against the static scores over every head. Writes \
            headmaps.multitoken.v1 to --out; a summary per relation goes to stderr. Every supported family.
            """)

    @OptionGroup var analysis: AnalysisOptions

    @Option(
        name: .long, help: "The prompt, with <X> where the source goes (default: \"This is a document about <X>\").")
    var template: String = MultiTokenScores.paperTemplate

    @Option(name: .long, help: "Where to write multitoken.json.")
    var out: String

    @Option(
        name: .long, help: "Also draw static against multi-token scores, a panel per relation (.png, .pdf or .svg).")
    var figure: String?

    func validate() throws {
        if let problem = PromptTemplates.problem([template]) { throw ValidationError("--template: \(problem)") }
    }

    func run() throws {
        try reportingErrors {
            try analysis.checkOutputs(
                [.init(out, option: "--out")] + (figure.map { [.init($0, option: "--figure")] } ?? []))
            let progress = Progress(quiet: analysis.quiet)
            let result = try ModelAnalysis(try analysis.request(), log: progress.log)
            let (decoder, _) = try Architectures.openDecoder(modelDirectory: result.request.modelPath)
            var relations: [MultiTokenScores.RelationResult] = []
            for (tokenized, statics) in zip(result.tokenized, result.document.relations) {
                let r = try MultiTokenScores.run(
                    relation: tokenized.relation, k: tokenized.k, statics: statics, model: result.model,
                    decoder: decoder, tokenizer: result.loaded.tokenizer, template: template,
                    minimumPairs: analysis.minPairs, log: progress.log)
                progress.log(MultiTokenDocument.summary(r))
                relations.append(r)
            }
            try ExperimentOutput.write(
                MultiTokenDocument.encode(model: result.document.source, template: template, relations: relations),
                to: out, figure: figure,
                drawing: {
                    ExperimentFigures.dynamic(
                        relations.compactMap(\.scores), statics: result.document, modelName: "",
                        yLabel: "multi-token score")
                },
                log: progress.log)
        }
    }
}
