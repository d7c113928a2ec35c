import Analysis
import ArgumentParser
import Checkpoint
import Core
import Foundation
import Tokenizer

/// Options shared by every command that analyses a model.
struct AnalysisOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "The model: a directory (config.json, safetensors weights, tokenizer.json or vocab.json + "
                    + "merges.txt) or a Hugging Face id in the local cache (id@revision for a branch, tag or "
                    + "commit). Required: an analysis is always told which model.")
    )
    var model: String

    @Option(name: .long, help: "A built-in relation to score (repeatable). Default: all 20. See `headmaps relations`.")
    var relation: [String] = []

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "A relation file in the MAPS format, a JSON array of [source, target] pairs (repeatable); "
                    + "named after the file's stem.")
    )
    var relationFile: [String] = []

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "k for every relation (default: the paper's per family: 1 for copying relations and 10 for the "
                    + "others; 3 and 25 for Llama 3 checkpoints).")
    )
    var k: Int?

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "What heads read of a source token: mlp0 (the method: layer 0 the embedding, later layers "
                    + "block 0's MLP output), embedding (every layer the embedding, the paper's choice for "
                    + "Llama-3.1-70B) or mlp0-all-layers.")
    )
    var sources: SourceRule = .mlp0

    @Option(name: .long, help: "Skip a relation with fewer single-token pairs than this.")
    var minPairs: Int = TokenizedRelation.defaultMinimumPairs

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let k, k < 1 { throw ValidationError("--k must be at least 1") }
        if minPairs < 1 { throw ValidationError("--min-pairs must be at least 1") }
    }

    func modelPath() throws -> String {
        try ModelLocator.resolve(model, relativeTo: FileManager.default.currentDirectoryPath)
    }

    func relations() throws -> [Relation] {
        var out = try relation.map(BuiltinRelations.load)
        out += try relationFile.map { try Relation.load(file: $0) }
        if out.isEmpty { out = try BuiltinRelations.loadAll() }
        try Relation.checkDistinctNames(out)
        return out
    }
}

extension SourceRule: ExpressibleByArgument {}

extension AnalysisOptions {
    /// What the command reads (the model, relation files), and checks that
    /// none of `outputs` would replace it or another output.
    func checkOutputs(_ outputs: [OutputGuard.Output], reading extra: [OutputGuard.Input] = []) throws {
        try OutputGuard.check(
            outputs,
            inputs: CheckpointDirectory.modelFiles(at: try modelPath()).map {
                OutputGuard.Input($0, role: "a file of the model")
            }
                + relationFile.map { OutputGuard.Input($0, role: "a relation file") } + extra)
    }

    func request() throws -> ModelAnalysis.Request {
        ModelAnalysis.Request(
            modelPath: try modelPath(), relations: try relations(), k: k, minimumPairs: minPairs, sourceRule: sources)
    }
}
