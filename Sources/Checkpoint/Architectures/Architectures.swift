import Tokenizer

public enum Architectures {
    public static let all: [ArchitectureAdapter] = [
        GPT2Adapter.adapter, GPTNeoXAdapter.adapter, PhiAdapter.adapter, LlamaAdapter.adapter, Qwen2Adapter.adapter,
        Gemma2Adapter.adapter,
        Gemma3Adapter.adapter, Qwen3Adapter.adapter, Phi3Adapter.adapter, OLMo2Adapter.adapter,
        MixtralAdapter.adapter, OLMoEAdapter.adapter, Qwen3MoEAdapter.adapter,
    ]

    /// The checkpoint, its canonical weights and its tokenizer.
    public static func open(modelDirectory path: String) throws -> LoadedModel {
        let (checkpoint, adapter) = try adapter(for: path)
        let weights = try TransformerWeights(try adapter.model(checkpoint))
        // A tokenizer may hold more ids than the model has rows (Llama 3.2's
        // files add a vision token): pairs with such tokens are simply not kept.
        let tokenizer = try self.tokenizer(checkpoint, adapter: adapter, path: path)
        return LoadedModel(checkpoint: checkpoint, weights: weights, tokenizer: tokenizer)
    }

    /// The model to run: every block's weights and the tokenizer. An error
    /// where the model's weights can be read but it cannot be run
    /// (`ModelWeights.runError`).
    public static func openDecoder(modelDirectory path: String) throws -> (ModelWeights, any Tokenizer) {
        let (checkpoint, adapter) = try adapter(for: path)
        let model = try adapter.model(checkpoint)
        if let error = model.runError { throw error }
        return (model, try tokenizer(checkpoint, adapter: adapter, path: path))
    }

    /// A GGUF file's own tokenizer (its metadata), else the family's files beside the weights.
    static func tokenizer(
        _ checkpoint: CheckpointDirectory, adapter: ArchitectureAdapter, path: String
    ) throws -> any Tokenizer {
        if let gguf = checkpoint.gguf {
            let tokenizer = try GGUFTokenizer.load(gguf.file)
            // llama.cpp reads as many embedding rows as tokens: more tokens is a broken file.
            if let rows = try? gguf.config.int("vocab_size"), tokenizer.count > rows {
                throw CheckpointError.invalidConfig(
                    file: gguf.file.path, key: "tokenizer.ggml.tokens",
                    problem:
                        "tokenizer.ggml.tokens holds \(tokenizer.count) tokens but token_embd.weight has \(rows) rows")
            }
            return tokenizer
        }
        return try adapter.tokenizer(path)
    }

    /// The checkpoint and its canonical weights (without the tokenizer).
    public static func load(modelDirectory path: String) throws -> (CheckpointDirectory, TransformerWeights) {
        let (checkpoint, adapter) = try adapter(for: path)
        return (checkpoint, try TransformerWeights(try adapter.model(checkpoint)))
    }

    /// Opens `path` and picks the adapter named by config.json's `model_type`
    /// (or, lacking it, its `architectures` list).
    static func adapter(for path: String) throws -> (CheckpointDirectory, ArchitectureAdapter) {
        let checkpoint = try CheckpointDirectory(path: path)
        let config = checkpoint.config
        let modelType = try config.string("model_type", default: "")
        let declared = config.strings("architectures")
        guard let adapter = all.first(where: { $0.accepts(modelType: modelType, declared: declared) }) else {
            let what =
                !modelType.isEmpty
                ? "model_type '\(modelType)'"
                : declared.isEmpty
                    ? "a model with neither model_type nor architectures" : declared.joined(separator: ", ")
            throw CheckpointError.unsupportedArchitecture(file: config.path, found: what, supported: all.map(\.name))
        }
        return (checkpoint, adapter)
    }
}
