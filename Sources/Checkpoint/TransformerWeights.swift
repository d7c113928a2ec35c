import LinearAlgebra

/// A model in the one layout the analysis reads, whatever the checkpoint's
/// names: an architecture adapter fills it, the scoring code never sees a
/// checkpoint tensor name.
public struct TransformerWeights: Sendable {
    public let architecture: String
    public let shape: ModelShape
    /// `W_E`, `[vocab, d_model]`.
    public let embedding: FloatTensor
    /// Multiplies `W_E` rows before they are used as sources (Gemma scales its
    /// embedding by `sqrt(d_model)`; `W_U` is not scaled).
    public let embeddingScale: Float
    /// `W_Uᵀ`, stored `[vocab, d_model]` so that a vocabulary block is a
    /// contiguous run of rows (for tied models, the same tensor as `W_E`).
    public let unembedding: FloatTensor
    public let firstMLP: FirstMLP
    /// The k the paper would use for this family.
    public let defaultK: DefaultK
    private let attentionOV: @Sendable (Int) throws -> [HeadOV]
    private let sourceCheck: @Sendable () throws -> Void

    /// - Parameter checkUnchanged: throws if the checkpoint's files changed
    ///   while mapped (the scorer calls it once its results are complete).
    public init(
        architecture: String, shape: ModelShape, embedding: FloatTensor, embeddingScale: Float = 1,
        unembedding: FloatTensor, firstMLP: FirstMLP, defaultK: DefaultK = .standard,
        attentionOV: @escaping @Sendable (Int) throws -> [HeadOV],
        checkUnchanged: @escaping @Sendable () throws -> Void = {}
    ) {
        self.sourceCheck = checkUnchanged
        self.architecture = architecture
        self.shape = shape
        self.embedding = embedding
        self.embeddingScale = embeddingScale
        self.unembedding = unembedding
        self.firstMLP = firstMLP
        self.defaultK = defaultK
        self.attentionOV = attentionOV
    }

    /// The same model with another layer count or k rule (benchmarks and tests
    /// score a prefix of the layers).
    public func with(layers: Int? = nil, defaultK: DefaultK? = nil) -> TransformerWeights {
        let s = shape
        return TransformerWeights(
            architecture: architecture,
            shape: ModelShape(
                layers: layers ?? s.layers, heads: s.heads, dModel: s.dModel, vocab: s.vocab, kvHeads: s.kvHeads,
                dHead: s.dHead),
            embedding: embedding, embeddingScale: embeddingScale, unembedding: unembedding, firstMLP: firstMLP,
            defaultK: defaultK ?? self.defaultK, attentionOV: attentionOV, checkUnchanged: sourceCheck)
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
    public func checkUnchanged() throws { try sourceCheck() }

    /// Every head's OV circuit of one layer, read from the checkpoint on demand
    /// so that only one layer's worth is held at a time.
    public func heads(ofLayer layer: Int) throws -> [HeadOV] {
        precondition(layer >= 0 && layer < shape.layers)
        return try attentionOV(layer)
    }
}
