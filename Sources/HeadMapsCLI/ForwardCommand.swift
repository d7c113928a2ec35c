import ArgumentParser
import Checkpoint
import Core
import ForwardPass
import Foundation
import LinearAlgebra

struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run the model on a prompt: its next-token prediction (the sanity check before the experiments).",
        discussion: """
            The prompt is tokenized as Hugging Face does by default: the special tokens the tokenizer.json's \
            post-processor puts first (Llama 3's <|begin_of_text|>, Gemma's <bos>; none for GPT-2), then the \
            text as written. It runs in float32; the top N next \
            tokens after it are printed with their logits. --json writes headmaps.forward.v1: \
            {"schema", "prompt", "token_ids", "top": [{"token_id", "token", "logit"}]}. Every supported family.
            """)

    @Option(name: .long, help: "The model: a directory or a Hugging Face id (id@revision) in the local cache.")
    var model: String

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "How many next tokens to show.")
    var top: Int = 10

    @Option(name: .long, help: "Also write the prediction as JSON (headmaps.forward.v1) to this file.")
    var json: String?

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be 1–1000") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt must not be empty") }
    }

    @Flag(name: .long, help: "No progress output (this command writes none; accepted as by every command).")
    var quiet = false

    func run() throws {
        try reportingErrors {
            let path = try ModelLocator.resolve(model, relativeTo: FileManager.default.currentDirectoryPath)
            try OutputGuard.check(
                json.map { [.init($0, option: "--json")] } ?? [],
                inputs: CheckpointDirectory.modelFiles(at: path).map { .init($0, role: "a file of the model") })
            let (weights, tokenizer) = try Architectures.openDecoder(modelDirectory: path)
            let ids = tokenizer.modelInput(prompt)
            if let at = ids.firstIndex(where: { $0 < 0 }) {
                throw CLIError(
                    "\(path): the prompt's token \(at + 1) is text this vocabulary cannot encode "
                        + "(no token or byte fallback for it)"
                )
            }
            if let at = ids.firstIndex(where: { $0 >= weights.shape.vocab }) {
                throw CLIError(
                    "\(path): the prompt's token \(at + 1), id \(ids[at]) "
                        + "('\(Excerpt.short(tokenizer.decode([ids[at]])))'), has no row in the model's embedding "
                        + "(\(weights.shape.vocab) rows): the tokenizer is larger than the model"
                )
            }
            // One forward pass of large products: every core may work on each.
            BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount)
            defer { BLAS.useSingleThread() }
            let output = try ForwardPass(weights: weights).run([ids])
            let row = (0..<output.logits.cols).map { output.logits[0, $0] }
            let best = row.indices.sorted { (row[$0], $1) > (row[$1], $0) }.prefix(top)
            func token(_ id: Int) -> String { tokenizer.decode([id]) }
            print("prompt: \(ids.count) token\(ids.count == 1 ? "" : "s") \(ids)")
            for (rank, id) in best.enumerated() {
                print(
                    String(format: "%3d  %7d  %10.4f  ", rank + 1, id, row[id]) + "'"
                        + token(id).replacingOccurrences(of: "\n", with: "\\n") + "'")
            }
            if let json {
                let q = JSONString.quoted
                let entries = best.map {
                    "    {\"token_id\": \($0), \"token\": \(q(token($0))), \"logit\": \(row[$0])}"
                }.joined(separator: ",\n")
                let text =
                    "{\n  \"schema\": \"headmaps.forward.v1\",\n  \"prompt\": \(q(prompt)),\n "
                    + " \"token_ids\": \(ids),\n  \"top\": [\n\(entries)\n  ]\n}\n"
                try AtomicFile.write(Data(text.utf8), to: json)
            }
        }
    }
}
