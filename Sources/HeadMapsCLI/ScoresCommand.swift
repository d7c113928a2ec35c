import Core
import Analysis
import ArgumentParser
import Checkpoint
import Foundation
import Tokenizer

/// Options shared by every command that analyses a model.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "Model directory (config.json, model.safetensors, vocab.json, merges.txt). Default: the committed demo fixture.")
    var model: String?

    @Option(name: .long, help: "A built-in relation to score (repeatable). Default: all 20. See `headmaps relations`.")
    var relation: [String] = []

    @Option(name: .long, help: "A relation file in the MAPS format, a JSON array of [source, target] pairs (repeatable); named after the file's stem.")
    var relationFile: [String] = []

    @Option(name: .long, help: "k for every relation (default: 1 for copying relations, 10 for the others).")
    var k: Int?

    @Option(name: .long, help: "Skip a relation with fewer single-token pairs than this.")
    var minPairs: Int = TokenizedRelation.defaultMinimumPairs

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let k, k < 1 { throw ValidationError("--k must be at least 1") }
        if minPairs < 1 { throw ValidationError("--min-pairs must be at least 1") }
    }

    func modelPath() throws -> String { try model ?? ProjectFiles.defaultModel() }

    func relations() throws -> [Relation] {
        var out = try relation.map(BuiltinRelations.load)
        out += try relationFile.map { try Relation.load(file: $0) }
        if out.isEmpty { out = try BuiltinRelations.loadAll() }
        try Relation.checkDistinctNames(out)
        return out
    }
}

struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Score every head of a model for each relation and write headmaps.scores.v1 JSON.")

    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .long, help: "Where to write the scores JSON.")
    var out: String = "scores.json"

    func run() throws {
        try reportingErrors {
            let progress = Progress(quiet: analysis.quiet)
            let analysis = try ModelAnalysis(try analysis.request(), log: progress.log) { done, total in
                progress.update("scoring", done: done, of: total)
            }
            try AtomicFile.write(Data(analysis.document.encoded().utf8), to: out)
            progress.log("wrote \(out)")
        }
    }
}

extension AnalysisOptions {
    func request() throws -> ModelAnalysis.Request {
        ModelAnalysis.Request(modelPath: try modelPath(), relations: try relations(), k: k, minimumPairs: minPairs)
    }
}

/// Prints an error the way a user needs it (what, where) and exits non-zero.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}
