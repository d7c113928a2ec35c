import LinearAlgebra

/// The grid of attention heads and the widths that size every product.
public struct ModelShape: Sendable, Equatable, Codable {
    public let layers: Int
    /// Query heads: the heads of the maps.
    public let heads: Int
    public let dModel: Int
    public let vocab: Int
    /// Key/value heads (fewer than `heads` under grouped-query attention).
    public let kvHeads: Int
    /// Width of one head; `d_model / heads` except where a config says
    /// otherwise (Gemma 2).
    public let dHead: Int

    public init(layers: Int, heads: Int, dModel: Int, vocab: Int, kvHeads: Int? = nil, dHead: Int? = nil) {
        self.layers = layers
        self.heads = heads
        self.dModel = dModel
        self.vocab = vocab
        self.kvHeads = kvHeads ?? heads
        self.dHead = dHead ?? dModel / max(heads, 1)
    }

    /// Whether the widths are the ones implied by `d_model` and `heads` alone.
    public var hasPlainHeads: Bool { kvHeads == heads && dHead * heads == dModel }

    /// The KV head a query head reads (HF's `repeat_kv`: consecutive query heads share one).
    public func valueGroup(ofHead head: Int) -> Int { head / (heads / kvHeads) }

    /// Far above any real model (Llama-3.1-405B: 126 layers, 128 heads, d 16384,
    /// vocabulary 128,256), and low enough that no product of them overflows.
    public enum Limits {
        public static let layers = 4096
        public static let heads = 4096
        public static let width = 1 << 20
        public static let vocab = 1 << 24
    }

    /// Config values past the limits are errors, named by their config key.
    public func checkLimits(
        config path: String, keys: (layers: String, heads: String, dModel: String, vocab: String)
    ) throws {
        for (key, value, limit) in [
            (keys.layers, layers, Limits.layers), (keys.heads, heads, Limits.heads),
            (keys.dModel, dModel, Limits.width), (keys.vocab, vocab, Limits.vocab),
        ] where value > limit {
            throw CheckpointError.invalidConfig(
                file: path, key: key,
                problem: "\(key) \(value) is larger than the limit of \(limit) (far above any real model)")
        }
    }
}
