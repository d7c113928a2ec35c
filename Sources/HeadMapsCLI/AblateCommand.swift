import Analysis
import ArgumentParser
import Checkpoint
import Core
import Experiments
import Foundation
import Report

struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract:
            "The paper's second experiment: a relation's task accuracy as its top static heads are ablated, against "
            + "random heads.",
        discussion: """
            Accuracy is the fraction of kept pairs whose argmax next token, after the template with the source \
            word in it, is the target. The heads with a positive static score, best first (at most --heads), are \
            ablated one more at a time (their output at the last position set to 0); --random-draws draws of as \
            many random other heads give the baseline, and --control RELATION runs the same heads on that \
            relation's task. Writes headmaps.ablation.v1 to --out. Every supported family.
            """)

    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .long, help: "The task template with <X> (default: the paper's for the relation).")
    var template: String?

    @Option(name: .long, help: "At most this many heads (the paper: 150).")
    var heads: Int = 150

    @Option(name: .long, help: "Random-head baselines.")
    var randomDraws: Int = 5

    @Option(name: .long, help: "Seed for the random heads.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "A relation whose task gets the same heads ablated (its paper template).")
    var control: String?

    @Option(name: .long, help: "Where to write ablation.json.")
    var out: String

    @Option(name: .long, help: "Also draw accuracy against heads ablated (.png, .pdf or .svg).")
    var figure: String?

    func validate() throws {
        guard analysis.relation.count + analysis.relationFile.count == 1 else {
            throw ValidationError("name exactly one relation (--relation or --relation-file)")
        }
        guard (1...10_000).contains(heads), (0...100).contains(randomDraws) else {
            throw ValidationError("--heads must be 1–10000 and --random-draws 0–100")
        }
        if let control, analysis.relation.contains(control) {
            throw ValidationError("--control \(control) is the ablated relation itself; a control is another task")
        }
    }

    func run() throws {
        try reportingErrors {
            try analysis.checkOutputs(
                [.init(out, option: "--out")] + (figure.map { [.init($0, option: "--figure")] } ?? []))
            let progress = Progress(quiet: analysis.quiet)
            var request = try analysis.request()
            if let control { request.relations.append(try BuiltinRelations.load(control)) }
            let result = try ModelAnalysis(request, log: progress.log)
            let name = result.tokenized[0].relation.name
            guard let template = template ?? Ablation.paperTemplates[name] else {
                throw CLIError(
                    "no paper template for '\(name)': give one with --template (with <X> where the source goes)")
            }
            if let problem = PromptTemplates.problem([template]) { throw CLIError("--template: \(problem)") }
            let (decoder, _) = try Architectures.openDecoder(modelDirectory: result.request.modelPath)
            var controlTask: (TokenizedRelation, String)?
            if let control {
                guard let t = Ablation.paperTemplates[control] else {
                    throw CLIError("no paper template for the control relation '\(control)'")
                }
                controlTask = (result.tokenized[1], t)
            }
            let ablation = try Ablation.run(
                relation: result.tokenized[0], statics: result.document.relations[0], decoder: decoder,
                tokenizer: result.loaded.tokenizer, template: template, maximumHeads: heads,
                randomDraws: randomDraws, seed: seed, control: controlTask, log: progress.log)
            progress.log(AblationDocument.summary(ablation))
            try ExperimentOutput.write(
                AblationDocument.encode(model: result.document.source, ablation), to: out, figure: figure,
                drawing: {
                    ExperimentFigures.ablation(
                        ablation, title: "\(result.document.relations[0].title): accuracy as heads are ablated")
                }, log: progress.log)
        }
    }
}
