import Foundation
import LinearAlgebra

/// Everything a forward pass needs, in one canonical layout (as
/// `TransformerWeights` is for the static analysis): every block's norms,
/// attention and MLP as linear maps of row vectors. Tensors stay as read (F32
/// mapped in place, in the orientation the checkpoint stores), one block
/// resolved at a time.
public struct DecoderWeights: Sendable {
    /// `x·W + b` for row vectors `x`, whichever way the checkpoint stores `W`.
    public struct Linear: Sendable {
        public let weight: FloatTensor
        /// Stored `[out, in]` (Hugging Face's `nn.Linear`), not `[in, out]` (GPT-2's Conv1D).
        public let storedOutIn: Bool
        /// Empty: no bias.
        public let bias: [Float]

        public init(weight: FloatTensor, storedOutIn: Bool, bias: [Float] = []) {
            self.weight = weight
            self.storedOutIn = storedOutIn
            self.bias = bias
        }

        public var outputs: Int { storedOutIn ? weight.shape[0] : weight.shape[1] }
    }

    public struct Block: Sendable {
        public let attentionNorm: Norm
        /// Maps whose outputs, side by side, are `[q | k | v]`: queries of
        /// every head (`heads · d_head`), then keys and values of every KV
        /// head (`kv_heads · d_head` each). GPT-2 has one fused map; the
        /// Llama layout three.
        public let queryKeyValue: [Linear]
        /// `z` (`heads · d_head`) into the residual stream.
        public let output: Linear
        public let mlpNorm: Norm
        public let mlpIn: Linear
        /// The gated MLPs: `act(gate(x)) ⊙ mlpIn(x)`.
        public let mlpGate: Linear?
        public let mlpOut: Linear
        public let activation: Activation
        /// The one fused map's outputs are grouped per head, `[q k v]` of
        /// head 0, then of head 1, … (GPT-NeoX), not `[q | k | v]`.
        public var interleavedPerHead = false
        /// Attention and MLP both read the block's input and add to it at
        /// once (GPT-NeoX's parallel residual, Phi), rather than the MLP
        /// reading the stream after attention.
        public var parallel = false
        /// Norms of the attention's and the MLP's outputs before they join
        /// the stream (Gemma 2).
        public var attentionOutputNorm: Norm?
        public var mlpOutputNorm: Norm?
        /// Keys at least this many positions before the query are not seen
        /// (Gemma 2's and Gemma 3's sliding layers).
        public var slidingWindow: Int?
        /// RMSNorms over each query head and each key head, before the rotary
        /// embedding (Gemma 3, Qwen3); weights of width `d_head`.
        public var queryNorm: Norm?
        public var keyNorm: Norm?
        /// This block's rotary embedding where it differs from the model's
        /// (Gemma 3's sliding layers turn at their own base).
        public var rotary: Rotary?

        /// Memory the block's weights hold beyond the checkpoint's mapping
        /// (16-bit tensors converted to float32).
        public var convertedBytes: Int {
            (queryKeyValue + [output, mlpIn, mlpOut] + (mlpGate.map { [$0] } ?? []))
                .filter { !$0.weight.isBorrowedFromMapping }
                .reduce(0) { $0 + $1.weight.count * MemoryLayout<Float>.size }
        }

        public init(
            attentionNorm: Norm, queryKeyValue: [Linear], output: Linear, mlpNorm: Norm,
            mlpIn: Linear, mlpGate: Linear? = nil, mlpOut: Linear, activation: Activation
        ) {
            self.attentionNorm = attentionNorm
            self.queryKeyValue = queryKeyValue
            self.output = output
            self.mlpNorm = mlpNorm
            self.mlpIn = mlpIn
            self.mlpGate = mlpGate
            self.mlpOut = mlpOut
            self.activation = activation
        }
    }

    /// Rotary position embeddings as Hugging Face applies them ("rotate
    /// half"): within each query and key head, dimension `i` and
    /// `i + dimensions/2` (for `i < dimensions/2`) turn by the angle
    /// `position · inverseFrequencies[i]`.
    public struct Rotary: Sendable {
        public let inverseFrequencies: [Float]
        public var dimensions: Int { 2 * inverseFrequencies.count }

        public init(inverseFrequencies: [Float]) { self.inverseFrequencies = inverseFrequencies }

        /// `1 / base^(2i / dimensions)` for `2i < dimensions`, computed in
        /// float32 as PyTorch does. An odd count (a tiny head times
        /// `rotary_pct`) turns one more dimension, as Hugging Face does.
        public static func standard(dimensions: Int, base: Float) -> Rotary {
            Rotary(
                inverseFrequencies: stride(from: 0, to: dimensions, by: 2).map { i in
                    1 / pow(base, Float(i) / Float(dimensions))
                })
        }

        /// Rotates `count` heads of width `stride` starting at `row`, at `position`.
        public func apply(_ row: UnsafeMutablePointer<Float>, heads count: Int, stride: Int, position: Int) {
            let half = inverseFrequencies.count
            for i in 0..<half {
                let angle = Float(position) * inverseFrequencies[i]
                let c = cos(angle)
                let s = sin(angle)
                for h in 0..<count {
                    let x = row + h * stride
                    let a = x[i]
                    let b = x[i + half]
                    x[i] = a * c - b * s
                    x[i + half] = b * c + a * s
                }
            }
        }
    }

    public let shape: ModelShape
    public let embedding: FloatTensor
    /// Learned absolute positions, `[positions, d]` (GPT-2); `nil` where positions are rotary.
    public let positions: FloatTensor?
    public let rotary: Rotary?
    public let maximumPositions: Int
    public let finalNorm: Norm
    public let unembedding: FloatTensor
    /// Multiplies token embeddings (Gemma: `sqrt(d_model)`).
    public var embeddingScale: Float = 1
    /// Added to the logits (Phi's `lm_head` bias); empty: none.
    public var unembeddingBias: [Float] = []
    /// Multiplies `q·k`; `nil`: `1 / sqrt(d_head)` (Gemma 2: `query_pre_attn_scalar^-½`).
    public var attentionScale: Float?
    /// `c · tanh(x / c)` on attention scores and on the final logits (Gemma 2).
    public var attentionSoftcap: Float?
    public var finalSoftcap: Float?
    private let block: @Sendable (Int) throws -> Block

    public init(
        shape: ModelShape, embedding: FloatTensor, positions: FloatTensor?, rotary: Rotary? = nil,
        maximumPositions: Int,
        finalNorm: Norm, unembedding: FloatTensor, block: @escaping @Sendable (Int) throws -> Block
    ) {
        self.shape = shape
        self.embedding = embedding
        self.positions = positions
        self.rotary = rotary
        self.maximumPositions = maximumPositions
        self.finalNorm = finalNorm
        self.unembedding = unembedding
        self.block = block
    }

    /// Block `layer`'s weights, read when asked.
    public func block(_ layer: Int) throws -> Block { try block(layer) }

    /// The attention score of a query and a key from their dot product.
    public func attentionScore(_ dot: Float) -> Float {
        let s = dot * (attentionScale ?? 1 / Float(shape.dHead).squareRoot())
        guard let cap = attentionSoftcap else { return s }
        return cap * tanh(s / cap)
    }

    /// Where each part of a `[q | k | v]` row starts, and how wide the row is.
    public var queryWidth: Int { shape.heads * shape.dHead }
    public var keyOffset: Int { queryWidth }
    public var valueOffset: Int { queryWidth + shape.kvHeads * shape.dHead }
    public var queryKeyValueWidth: Int { queryWidth + 2 * shape.kvHeads * shape.dHead }

    /// The residual stream's input rows: token embeddings plus learned positions where the model has them.
    public func inputRows(tokens: [Int], positions: [Int]) -> Matrix {
        let d = shape.dModel
        var x = embedding.gatherRows(tokens, scaledBy: embeddingScale)
        if let table = self.positions {
            table.withMatrix { p in
                for (r, t) in positions.enumerated() { for j in 0..<d { x[r, j] += p[t, j] } }
            }
        }
        return x
    }
}
