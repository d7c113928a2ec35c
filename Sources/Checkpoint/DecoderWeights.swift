import LinearAlgebra

/// Everything a forward pass needs, in one canonical layout (as
/// `TransformerWeights` is for the static analysis): every block's norms,
/// attention and MLP, in "row vector times matrix" orientation. Tensors stay
/// as read (F32 mapped in place), one block resolved at a time.
public struct DecoderWeights: Sendable {
    public struct Block: Sendable {
        public let attentionNorm: Norm
        /// `[d, 3·d]`: query, key and value columns, head `h` at `h·dh` within each third.
        public let qkv: FloatTensor
        public let qkvBias: [Float]
        /// `[d, d]`: rows `h·dh ..< (h+1)·dh` read head `h`'s output.
        public let output: FloatTensor
        public let outputBias: [Float]
        public let mlpNorm: Norm
        public let mlpIn: FloatTensor
        public let mlpInBias: [Float]
        public let mlpOut: FloatTensor
        public let mlpOutBias: [Float]
        public let activation: Activation

        public init(attentionNorm: Norm, qkv: FloatTensor, qkvBias: [Float], output: FloatTensor, outputBias: [Float],
                    mlpNorm: Norm, mlpIn: FloatTensor, mlpInBias: [Float], mlpOut: FloatTensor, mlpOutBias: [Float], activation: Activation) {
            self.attentionNorm = attentionNorm
            self.qkv = qkv
            self.qkvBias = qkvBias
            self.output = output
            self.outputBias = outputBias
            self.mlpNorm = mlpNorm
            self.mlpIn = mlpIn
            self.mlpInBias = mlpInBias
            self.mlpOut = mlpOut
            self.mlpOutBias = mlpOutBias
            self.activation = activation
        }
    }

    public let shape: ModelShape
    public let embedding: FloatTensor
    /// Learned absolute positions, `[positions, d]`.
    public let positions: FloatTensor
    public let finalNorm: Norm
    public let unembedding: FloatTensor
    private let block: @Sendable (Int) throws -> Block

    public init(shape: ModelShape, embedding: FloatTensor, positions: FloatTensor, finalNorm: Norm, unembedding: FloatTensor,
                block: @escaping @Sendable (Int) throws -> Block) {
        self.shape = shape
        self.embedding = embedding
        self.positions = positions
        self.finalNorm = finalNorm
        self.unembedding = unembedding
        self.block = block
    }

    /// Block `layer`'s weights, read when asked.
    public func block(_ layer: Int) throws -> Block { try block(layer) }

    public var maximumPositions: Int { positions.shape[0] }
}
