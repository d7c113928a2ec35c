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
    /// Every block's weights, for running the model; nil where the family
    /// has no forward pass.
    public let decoder: (@Sendable (CheckpointDirectory) throws -> DecoderWeights)?

    public init(
        name: String, modelTypes: [String],
        load: @escaping @Sendable (CheckpointDirectory) throws -> TransformerWeights,
        tokenizer: @escaping @Sendable (String) throws -> any Tokenizer = TokenizerFiles.load,
        decoder: (@Sendable (CheckpointDirectory) throws -> DecoderWeights)? = nil
    ) {
        self.name = name
        self.modelTypes = modelTypes
        self.load = load
        self.tokenizer = tokenizer
        self.decoder = decoder
    }

    func accepts(modelType: String, declared: [String]) -> Bool {
        if !modelType.isEmpty { return modelTypes.contains(modelType) }
        return declared.contains { d in modelTypes.contains { d.lowercased().hasPrefix($0) } }
    }
}
