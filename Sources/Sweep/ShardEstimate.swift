import Checkpoint
import Core
import Foundation

/// A shard's expected time and memory from its model's shape, the upper
/// bounds `sweep plan` prints and `--slurm` asks for.
///
/// Time: opening at 0.5 GB/s, plus scoring at 2.5e-10 s per unit of
/// layers × heads × d_model × vocabulary on two cores (the slowest of the
/// bench's shapes: GPT-2 medium 4.9 s, GPT-2 xl 17.9 s, Llama-3.1-8B 64 s for
/// all 20 relations; docs/performance.md), scaled by cores and by relations
/// beyond 20, plus 5 s to start. Memory: the unembedding in F32 twice (it is
/// held once, and a block of it is in flight), a quarter of the file (pages of
/// it mapped at a time), and 256 MiB for the rest.
public struct ShardEstimate: Sendable, Equatable {
    public let layers: Int
    public let heads: Int
    public let dModel: Int
    public let vocab: Int
    /// The checkpoint's files, in bytes.
    public let bytes: Int
    public let seconds: Double
    public let memoryBytes: Int

    public static func of(_ path: String, relations: Int, cpus: Int) throws -> ShardEstimate {
        let checkpoint = try CheckpointDirectory(path: path)
        let config = checkpoint.config
        func first(_ keys: [String]) -> Int { keys.lazy.compactMap { try? config.int($0) }.first ?? 0 }
        let layers = first(["num_hidden_layers", "n_layer", "num_layers"])
        let heads = first(["num_attention_heads", "n_head"])
        let d = first(["hidden_size", "n_embd", "d_model"])
        let vocab = first(["vocab_size"])
        let bytes = CheckpointDirectory.modelFiles(at: path).reduce(0) { $0 + Int(FileType.status($1)?.st_size ?? 0) }
        return estimate(
            layers: layers, heads: heads, dModel: d, vocab: vocab, bytes: bytes, relations: relations, cpus: cpus)
    }

    public static func estimate(
        layers: Int, heads: Int, dModel: Int, vocab: Int, bytes: Int, relations: Int, cpus: Int
    ) -> ShardEstimate {
        let units = Double(layers) * Double(heads) * Double(dModel) * Double(vocab)
        let scoring = units * 2.5e-10 * 2 / Double(max(cpus, 1)) * max(1, Double(relations) / 20)
        let seconds = (5 + Double(bytes) / 5e8 + scoring).rounded(.up)
        let memory = 8 * vocab * dModel + bytes / 4 + (256 << 20)
        return ShardEstimate(
            layers: layers, heads: heads, dModel: dModel, vocab: vocab, bytes: bytes, seconds: seconds,
            memoryBytes: memory)
    }
}
