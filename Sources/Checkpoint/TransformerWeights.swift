import LinearAlgebra

/// The grid of attention heads and the widths that size every product.
public struct ModelShape: Sendable, Equatable, Codable {
    public let layers: Int
    public let heads: Int
    public let dModel: Int
    public let vocab: Int

    public init(layers: Int, heads: Int, dModel: Int, vocab: Int) {
        self.layers = layers
        self.heads = heads
        self.dModel = dModel
        self.vocab = vocab
    }

    public var dHead: Int { dModel / heads }

    /// Far above any real model (Llama-3.1-405B: 126 layers, 128 heads, d 16384,
    /// vocabulary 128,256), and low enough that no product of them overflows.
    public enum Limits {
        public static let layers = 4096
        public static let heads = 4096
        public static let width = 1 << 20
        public static let vocab = 1 << 24
    }

    /// Config values past the limits are errors, named by their config key.
    public func checkLimits(config path: String, keys: (layers: String, heads: String, dModel: String, vocab: String)) throws {
        for (key, value, limit) in [(keys.layers, layers, Limits.layers), (keys.heads, heads, Limits.heads),
                                    (keys.dModel, dModel, Limits.width), (keys.vocab, vocab, Limits.vocab)] where value > limit {
            throw CheckpointError.invalidConfig(file: path, key: key, problem: "\(key) \(value) is larger than the limit of \(limit) (far above any real model)")
        }
    }
}

/// One head's OV circuit in canonical orientation: a source row `x` is
/// carried to `x · valueWeights · outputWeights`.
public struct HeadOV: Sendable {
    /// `W_V[h]`, `[d_model, d_head]`.
    public let valueWeights: Matrix
    /// `W_O[h]`, `[d_head, d_model]`.
    public let outputWeights: Matrix

    public init(valueWeights: Matrix, outputWeights: Matrix) {
        self.valueWeights = valueWeights
        self.outputWeights = outputWeights
    }
}

/// Block 0's MLP with the LayerNorm in front of it: what heads of layers ≥ 1
/// see of a token, in the method's source representation.
public struct FirstMLP: Sendable {
    public let normWeight: [Float]
    public let normBias: [Float]
    public let normEpsilon: Float
    /// `[d_model, d_mlp]`.
    public let inWeight: Matrix
    public let inBias: [Float]
    /// `[d_mlp, d_model]`.
    public let outWeight: Matrix
    public let outBias: [Float]
    public let activation: Activation

    public init(normWeight: [Float], normBias: [Float], normEpsilon: Float, inWeight: Matrix, inBias: [Float],
                outWeight: Matrix, outBias: [Float], activation: Activation) {
        self.normWeight = normWeight
        self.normBias = normBias
        self.normEpsilon = normEpsilon
        self.inWeight = inWeight
        self.inBias = inBias
        self.outWeight = outWeight
        self.outBias = outBias
        self.activation = activation
    }

    /// `MLP(LN(x))` for each row of `x`: the output only, no residual.
    public func apply(to x: Matrix) -> Matrix {
        var hidden = Products.multiply(LayerNorm.apply(x, weight: normWeight, bias: normBias, epsilon: normEpsilon), inWeight)
        hidden.addRowVector(inBias)
        hidden.apply(activation)
        var out = Products.multiply(hidden, outWeight)
        out.addRowVector(outBias)
        return out
    }
}

/// A model in the one layout the analysis reads, whatever the checkpoint's
/// names: an architecture adapter fills it, the scoring code never sees a
/// checkpoint tensor name.
public struct TransformerWeights: Sendable {
    public let architecture: String
    public let shape: ModelShape
    /// `W_E`, `[vocab, d_model]`.
    public let embedding: FloatTensor
    /// `W_Uᵀ`, stored `[vocab, d_model]` so that a vocabulary block is a
    /// contiguous run of rows (for tied models, the same tensor as `W_E`).
    public let unembedding: FloatTensor
    public let firstMLP: FirstMLP
    private let attentionOV: @Sendable (Int) throws -> [HeadOV]
    private let sourceCheck: @Sendable () throws -> Void

    /// - Parameter checkUnchanged: throws if the checkpoint's files changed
    ///   while mapped (the scorer calls it once its results are complete).
    public init(architecture: String, shape: ModelShape, embedding: FloatTensor, unembedding: FloatTensor,
                firstMLP: FirstMLP, attentionOV: @escaping @Sendable (Int) throws -> [HeadOV],
                checkUnchanged: @escaping @Sendable () throws -> Void = {}) {
        self.sourceCheck = checkUnchanged
        self.architecture = architecture
        self.shape = shape
        self.embedding = embedding
        self.unembedding = unembedding
        self.firstMLP = firstMLP
        self.attentionOV = attentionOV
    }

    /// Every head's OV circuit of one layer, read from the checkpoint on demand
    /// so that only one layer's worth is held at a time.
    public func checkUnchanged() throws { try sourceCheck() }

    public func heads(ofLayer layer: Int) throws -> [HeadOV] {
        precondition(layer >= 0 && layer < shape.layers)
        return try attentionOV(layer)
    }
}
