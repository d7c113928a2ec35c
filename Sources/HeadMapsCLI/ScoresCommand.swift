import Analysis
import ArgumentParser
import Core
import Foundation
import Tokenizer

struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Score every head of a model for each relation and write headmaps.scores.v1 JSON.")

    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .long, help: "Where to write the scores JSON.")
    var out: String = "scores.json"

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "Also write the scores in long form as CSV (model, relation, layer, head, score, suppression, "
                    + "pairs_kept, k).")
    )
    var csv: String?

    func run() throws {
        try reportingErrors {
            try analysis.checkOutputs([.init(out, option: "--out")] + (csv.map { [.init($0, option: "--csv")] } ?? []))
            let progress = Progress(quiet: analysis.quiet)
            let analysis = try ModelAnalysis(try analysis.request(), log: progress.log) { done, total in
                progress.update("scoring", done: done, of: total)
            }
            try AtomicFile.write(Data(analysis.document.encoded().utf8), to: out)
            progress.log("wrote \(out)")
            if let csv {
                try AtomicFile.write(Data(analysis.document.csv().utf8), to: csv)
                progress.log("wrote \(csv)")
            }
        }
    }
}
