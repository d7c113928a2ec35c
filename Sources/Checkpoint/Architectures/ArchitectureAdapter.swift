import Tokenizer

/// One checkpoint family: how to recognise it in config.json, how to map its
/// tensor names and config keys onto the one canonical `ModelWeights` (which
/// the forward pass runs and the static analysis reads), and how to read its
/// tokenizer. Adding a family is one new file that defines one of these.
public struct ArchitectureAdapter: Sendable {
    public let name: String
    /// The `model_type` values of config.json it reads.
    public let modelTypes: [String]
    public let model: @Sendable (CheckpointDirectory) throws -> ModelWeights
    public let tokenizer: @Sendable (_ modelDirectory: String) throws -> any Tokenizer

    public init(
        name: String, modelTypes: [String],
        model: @escaping @Sendable (CheckpointDirectory) throws -> ModelWeights,
        tokenizer: @escaping @Sendable (String) throws -> any Tokenizer = TokenizerFiles.load
    ) {
        self.name = name
        self.modelTypes = modelTypes
        self.model = model
        self.tokenizer = tokenizer
    }

    func accepts(modelType: String, declared: [String]) -> Bool {
        if !modelType.isEmpty { return modelTypes.contains(modelType) }
        return declared.contains { d in modelTypes.contains { d.lowercased().hasPrefix($0) } }
    }
}
