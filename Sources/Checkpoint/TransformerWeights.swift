import LinearAlgebra

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
