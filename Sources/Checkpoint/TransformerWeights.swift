import LinearAlgebra

/// What the static analysis reads of a model: the embeddings, every head's
/// OV circuit and block 0's MLP, all taken from the model's one canonical
/// layout (`ModelWeights`), which its family's adapter fills. The scoring
/// code never sees a checkpoint tensor name.
public struct TransformerWeights: Sendable {
    public let model: ModelWeights
    /// The model's shape, or a prefix of its layers (`with(layers:)`).
    public let shape: ModelShape
    public let firstMLP: FirstMLP
    /// The k the paper would use for this family.
    public let defaultK: DefaultK

    /// Reads block 0's MLP now; each layer's heads when asked.
    public init(_ model: ModelWeights) throws {
        self.init(
            model: model, shape: model.shape,
            firstMLP: FirstMLP(try model.feedForward(0), includingOutputNorm: model.sourcesIncludeMLPOutputNorm),
            defaultK: model.defaultK)
    }

    private init(model: ModelWeights, shape: ModelShape, firstMLP: FirstMLP, defaultK: DefaultK) {
        self.model = model
        self.shape = shape
        self.firstMLP = firstMLP
        self.defaultK = defaultK
    }

    public var architecture: String { model.architecture }
    /// `W_E`, `[vocab, d_model]`.
    public var embedding: FloatTensor { model.embedding }
    /// Multiplies `W_E` rows before they are used as sources (Gemma scales its
    /// embedding by `sqrt(d_model)`; `W_U` is not scaled).
    public var embeddingScale: Float { model.embeddingScale }
    /// `W_Uᵀ`, stored `[vocab, d_model]` so that a vocabulary block is a
    /// contiguous run of rows (for tied models, the same tensor as `W_E`).
    public var unembedding: FloatTensor { model.unembedding }

    /// The same model with another layer count or k rule (benchmarks and tests
    /// score a prefix of the layers).
    public func with(layers: Int? = nil, defaultK: DefaultK? = nil) -> TransformerWeights {
        let s = shape
        return TransformerWeights(
            model: model,
            shape: ModelShape(
                layers: layers ?? s.layers, heads: s.heads, dModel: s.dModel, vocab: s.vocab, kvHeads: s.kvHeads,
                dHead: s.dHead),
            firstMLP: firstMLP, defaultK: defaultK ?? self.defaultK)
    }

    /// The embedding rows of `tokens` as a head reads them (scaled where the family scales).
    public func embeddingRows(_ tokens: [Int]) -> Matrix { embedding.gatherRows(tokens, scaledBy: embeddingScale) }

    /// Every embedding row, scaled where the family scales.
    public func embeddingMatrix() -> Matrix {
        var rows = embedding.matrixCopy()
        if embeddingScale != 1 { rows.scale(by: embeddingScale) }
        return rows
    }

    /// Throws if the checkpoint's files changed while mapped.
    public func checkUnchanged() throws { try model.checkUnchanged() }

    /// Every head's OV circuit of one layer, read from the checkpoint on demand
    /// so that only one layer's worth is held at a time.
    public func heads(ofLayer layer: Int) throws -> [HeadOV] {
        precondition(layer >= 0 && layer < shape.layers)
        return try model.attention(layer).headsOV(shape: model.shape)
    }
}
