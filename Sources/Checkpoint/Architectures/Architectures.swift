import Tokenizer

/// One checkpoint family: how to recognise it in config.json, how to map its
/// tensor names and config keys onto the canonical `TransformerWeights`, and
/// how to read its tokenizer: the two things the analysis needs of a model.
/// Adding a family is one new file that defines one of these.
public struct ArchitectureAdapter: Sendable {
    public let name: String
    /// The `model_type` values of config.json it reads.
    public let modelTypes: [String]
    public let load: @Sendable (CheckpointDirectory) throws -> TransformerWeights
    public let tokenizer: @Sendable (_ modelDirectory: String) throws -> any Tokenizer

    public init(name: String, modelTypes: [String], load: @escaping @Sendable (CheckpointDirectory) throws -> TransformerWeights,
                tokenizer: @escaping @Sendable (String) throws -> any Tokenizer = TokenizerFiles.load) {
        self.name = name
        self.modelTypes = modelTypes
        self.load = load
        self.tokenizer = tokenizer
    }

    func accepts(modelType: String, declared: [String]) -> Bool {
        if !modelType.isEmpty { return modelTypes.contains(modelType) }
        return declared.contains { d in modelTypes.contains { d.lowercased().hasPrefix($0) } }
    }
}

public enum Architectures {
    public static let all: [ArchitectureAdapter] = [GPT2Adapter.adapter]

    /// The checkpoint, its canonical weights and its tokenizer.
    public static func open(modelDirectory path: String) throws -> LoadedModel {
        let (checkpoint, adapter) = try adapter(for: path)
        let weights = try adapter.load(checkpoint)
        let tokenizer = try adapter.tokenizer(path)
        guard tokenizer.count <= weights.shape.vocab else {
            throw CheckpointError.tokenizerLargerThanVocabulary(folder: path, tokens: tokenizer.count, vocab: weights.shape.vocab)
        }
        return LoadedModel(checkpoint: checkpoint, weights: weights, tokenizer: tokenizer)
    }

    /// The checkpoint and its canonical weights (without the tokenizer).
    public static func load(modelDirectory path: String) throws -> (CheckpointDirectory, TransformerWeights) {
        let (checkpoint, adapter) = try adapter(for: path)
        return (checkpoint, try adapter.load(checkpoint))
    }

    /// Opens `path` and picks the adapter named by config.json's `model_type`
    /// (or, lacking it, its `architectures` list).
    static func adapter(for path: String) throws -> (CheckpointDirectory, ArchitectureAdapter) {
        let checkpoint = try CheckpointDirectory(path: path)
        let config = checkpoint.config
        let modelType = try config.string("model_type", default: "")
        let declared = config.strings("architectures")
        guard let adapter = all.first(where: { $0.accepts(modelType: modelType, declared: declared) }) else {
            let what = !modelType.isEmpty ? "model_type '\(modelType)'"
                : declared.isEmpty ? "a model with neither model_type nor architectures" : declared.joined(separator: ", ")
            throw CheckpointError.unsupportedArchitecture(file: config.path, found: what, supported: all.map(\.name))
        }
        return (checkpoint, adapter)
    }
}

/// A model as the analysis sees it, read through its architecture's adapter.
public struct LoadedModel: Sendable {
    public let checkpoint: CheckpointDirectory
    public let weights: TransformerWeights
    public let tokenizer: any Tokenizer

    /// Every file that describes the model besides its weights (config, shard
    /// index, tokenizer), in a stable order, for provenance.
    public var descriptionFiles: [String] {
        [checkpoint.config.path] + (checkpoint.indexFile.map { [$0] } ?? []) + tokenizer.files
    }
}
