import Tokenizer

/// A model as the analysis sees it, read through its architecture's adapter.
public struct LoadedModel: Sendable {
    public let checkpoint: CheckpointDirectory
    public let weights: TransformerWeights
    public let tokenizer: any Tokenizer

    /// Every file that describes the model besides its weights (config, shard
    /// index, tokenizer), in a stable order, for provenance; none for a GGUF
    /// file, which holds its config and tokenizer itself.
    public var descriptionFiles: [String] {
        let weights = Set(checkpoint.weightFiles)
        return ([checkpoint.config.path] + (checkpoint.indexFile.map { [$0] } ?? []) + tokenizer.files).filter {
            !weights.contains($0)
        }
    }
}
