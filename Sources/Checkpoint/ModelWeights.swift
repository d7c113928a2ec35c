import Foundation
import LinearAlgebra

/// A model in the one canonical layout its family's adapter fills: every
/// block's norms, attention and MLP as linear maps of row vectors, and what
/// surrounds them. The forward pass runs it; the static analysis reads its
/// view of it (`TransformerWeights`: the embeddings, each head's OV circuit,
/// block 0's MLP). Tensors stay as read (F32 mapped in place, in the
/// orientation the checkpoint stores), one layer's part resolved when asked.
public struct ModelWeights: Sendable {
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
        public var inputs: Int { storedOutIn ? weight.shape[1] : weight.shape[0] }

        /// `W` as `[in, out]`, copied: the orientation the static analysis multiplies in.
        public func inOutMatrix() -> Matrix {
            storedOutIn ? weight.withMatrix { $0.transposed() } : weight.matrixCopy()
        }

        /// Output columns `range` of `W` as `[in, range.count]`, copied.
        public func inOutColumns(_ range: Range<Int>) -> Matrix {
            weight.withMatrix { w in
                if storedOutIn { return w.transposed(rows: range) }
                var out = Matrix(rows: w.rows, cols: range.count)
                for i in 0..<w.rows { for j in range { out[i, j - range.lowerBound] = w[i, j] } }
                return out
            }
        }

        /// Input rows `range` of `W` (the part that reads inputs `range`) as `[range.count, out]`, copied.
        public func inOutRows(_ range: Range<Int>) -> Matrix {
            weight.withMatrix { w in storedOutIn ? w.transposed(cols: range) : w.rows(range).copy() }
        }

        var convertedBytes: Int { weight.isBorrowedFromMapping ? 0 : weight.count * MemoryLayout<Float>.size }
    }

    /// A block's feed-forward network.
    public indirect enum MLP: Sendable {
        /// `act(x·W_in + b_in)·W_out + b_out` (GPT-2, Pythia, Phi-2).
        case plain(input: Linear, output: Linear, activation: Activation)
        /// `(act(x·W_gate) ⊙ x·W_up)·W_down` (Llama and most families since).
        case gated(gate: Linear, up: Linear, down: Linear, activation: Activation)
        /// Each token through the experts its router ranks highest (Mixtral, OLMoE, Qwen3-MoE).
        case mixture(MixtureOfExperts)

        var linears: [Linear] {
            switch self {
            case .plain(let input, let output, _): [input, output]
            case .gated(let gate, let up, let down, _): [gate, up, down]
            case .mixture(let m): [m.router] + m.experts.flatMap(\.linears)
            }
        }
    }

    /// A mixture-of-experts MLP: the router's logits `x·W_router` are turned
    /// into probabilities (softmax), each token goes through the `topK`
    /// experts of highest probability, and their outputs are summed weighted
    /// by those probabilities (divided by their sum where the family
    /// renormalises: `normalizesTopK`).
    public struct MixtureOfExperts: Sendable {
        /// `[experts]` outputs.
        public let router: Linear
        public let experts: [MLP]
        public let topK: Int
        public let normalizesTopK: Bool

        public init(router: Linear, experts: [MLP], topK: Int, normalizesTopK: Bool) {
            precondition(topK >= 1 && topK <= experts.count)
            self.router = router
            self.experts = experts
            self.topK = topK
            self.normalizesTopK = normalizesTopK
        }
    }

    /// A block's attention: its input norm, the `[q | k | v]` maps, the
    /// output projection and what the family adds around them.
    public struct Attention: Sendable {
        /// Identity where the branch reads the stream as it is (OLMo 2).
        public let norm: Norm
        /// Maps whose outputs, side by side, are `[q | k | v]`: queries of
        /// every head (`heads · d_head`), then keys and values of every KV
        /// head (`kv_heads · d_head` each). GPT-2 has one fused map; the
        /// Llama layout three.
        public let queryKeyValue: [Linear]
        /// `z` (`heads · d_head`) into the residual stream.
        public let output: Linear
        /// The one fused map's outputs are grouped per head, `[q k v]` of
        /// head 0, then of head 1, … (GPT-NeoX), not `[q | k | v]`.
        public var interleavedPerHead = false
        /// A norm of the branch's output before it joins the stream (Gemma 2, OLMo 2).
        public var outputNorm: Norm?
        /// Keys at least this many positions before the query are not seen
        /// (Gemma 2's and Gemma 3's sliding layers).
        public var slidingWindow: Int?
        /// RMSNorms of the queries and the keys before the rotary embedding:
        /// `d_head` wide, over each head (Gemma 3, Qwen3); as wide as all the
        /// heads, over the whole projection (OLMo 2, OLMoE).
        public var queryNorm: Norm?
        public var keyNorm: Norm?
        /// This block's rotary embedding where it differs from the model's
        /// (Gemma 3's sliding layers turn at their own base).
        public var rotary: Rotary?

        public init(norm: Norm, queryKeyValue: [Linear], output: Linear) {
            self.norm = norm
            self.queryKeyValue = queryKeyValue
            self.output = output
        }

        /// The map and its output columns that hold KV head `group`'s values.
        func valueColumns(group: Int, shape: ModelShape) -> (Linear, Range<Int>) {
            let dh = shape.dHead
            var start =
                interleavedPerHead ? (3 * group + 2) * dh : (shape.heads + shape.kvHeads + group) * dh
            for part in queryKeyValue {
                if start < part.outputs { return (part, start..<(start + dh)) }
                start -= part.outputs
            }
            preconditionFailure("KV head \(group) is outside the block's [q | k | v] maps")
        }

        /// Every query head's OV circuit: `W_V` of its KV head (built once
        /// per KV head and shared) and its rows of the output projection.
        public func headsOV(shape: ModelShape) -> [HeadOV] {
            let dh = shape.dHead
            let values = (0..<shape.kvHeads).map { g in
                let (map, columns) = valueColumns(group: g, shape: shape)
                return map.inOutColumns(columns)
            }
            return (0..<shape.heads).map { h in
                let group = shape.valueGroup(ofHead: h)
                return HeadOV(
                    valueWeights: values[group], outputWeights: output.inOutRows(h * dh..<(h + 1) * dh),
                    valueGroup: group)
            }
        }
    }

    /// A block's MLP branch: the norm in front of it, the network, and the
    /// norm of its output where the family has one.
    public struct FeedForward: Sendable {
        /// Identity where the branch reads the stream as it is (OLMo 2).
        public let norm: Norm
        public let mlp: MLP
        /// A norm of the branch's output before it joins the stream (Gemma 2, OLMo 2).
        public var outputNorm: Norm?

        public init(norm: Norm, mlp: MLP, outputNorm: Norm? = nil) {
            self.norm = norm
            self.mlp = mlp
            self.outputNorm = outputNorm
        }
    }

    public struct Block: Sendable {
        public let attention: Attention
        public let feedForward: FeedForward
        /// Attention and MLP both read the block's input and add to it at
        /// once (GPT-NeoX's parallel residual, Phi), rather than the MLP
        /// reading the stream after attention.
        public let parallel: Bool

        /// Memory the block's weights hold beyond the checkpoint's mapping
        /// (16-bit and quantized tensors converted to float32).
        public var convertedBytes: Int {
            (attention.queryKeyValue + [attention.output] + feedForward.mlp.linears).reduce(0) {
                $0 + $1.convertedBytes
            }
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

    /// The family's name, as reports print it.
    public let architecture: String
    public let shape: ModelShape
    /// `W_E`, `[vocab, d_model]`.
    public let embedding: FloatTensor
    /// Learned absolute positions, `[positions, d]` (GPT-2); `nil` where positions are rotary.
    public let positions: FloatTensor?
    public let rotary: Rotary?
    public let maximumPositions: Int
    public let finalNorm: Norm
    /// `W_Uᵀ`, stored `[vocab, d_model]` (for tied models, the same tensor as `W_E`).
    public let unembedding: FloatTensor
    /// Multiplies token embeddings (Gemma: `sqrt(d_model)`), for the forward
    /// pass and as sources alike (`W_U` is not scaled).
    public var embeddingScale: Float = 1
    /// Added to the logits (Phi's `lm_head` bias); empty: none.
    public var unembeddingBias: [Float] = []
    /// Multiplies `q·k`; `nil`: `1 / sqrt(d_head)` (Gemma 2: `query_pre_attn_scalar^-½`).
    public var attentionScale: Float?
    /// `c · tanh(x / c)` on attention scores and on the final logits (Gemma 2).
    public var attentionSoftcap: Float?
    public var finalSoftcap: Float?
    /// Every block's branches run in parallel (`Block.parallel`).
    public var parallelBlocks = false
    /// The k the paper would use for this family.
    public var defaultK: DefaultK = .standard
    /// Whether block 0's MLP output, as a source, is taken after its output
    /// norm: the family's choice (OLMo 2's branches are normed only there, so
    /// yes; Gemma 2's method takes the branch as it is, as TransformerLens does).
    public var sourcesIncludeMLPOutputNorm = false
    /// Why the model cannot be run though its weights can be read (a rotary
    /// scaling the forward pass does not implement): thrown when the model
    /// is opened to run, never when it is scored.
    public var runError: CheckpointError?
    private let readAttention: @Sendable (Int) throws -> Attention
    private let readFeedForward: @Sendable (Int) throws -> FeedForward
    private let sourceCheck: @Sendable () throws -> Void

    /// - Parameter checkUnchanged: throws if the checkpoint's files changed
    ///   while mapped (the scorer calls it once its results are complete).
    public init(
        architecture: String, shape: ModelShape, embedding: FloatTensor, positions: FloatTensor? = nil,
        rotary: Rotary? = nil, maximumPositions: Int, finalNorm: Norm, unembedding: FloatTensor,
        attention: @escaping @Sendable (Int) throws -> Attention,
        feedForward: @escaping @Sendable (Int) throws -> FeedForward,
        checkUnchanged: @escaping @Sendable () throws -> Void
    ) {
        self.architecture = architecture
        self.shape = shape
        self.embedding = embedding
        self.positions = positions
        self.rotary = rotary
        self.maximumPositions = maximumPositions
        self.finalNorm = finalNorm
        self.unembedding = unembedding
        self.readAttention = attention
        self.readFeedForward = feedForward
        self.sourceCheck = checkUnchanged
    }

    /// Block `layer`'s attention, read when asked.
    public func attention(_ layer: Int) throws -> Attention {
        precondition(layer >= 0 && layer < shape.layers)
        return try readAttention(layer)
    }

    /// Block `layer`'s MLP branch, read when asked.
    public func feedForward(_ layer: Int) throws -> FeedForward {
        precondition(layer >= 0 && layer < shape.layers)
        return try readFeedForward(layer)
    }

    /// Block `layer`'s weights, read when asked.
    public func block(_ layer: Int) throws -> Block {
        Block(attention: try attention(layer), feedForward: try feedForward(layer), parallel: parallelBlocks)
    }

    /// Throws if the checkpoint's files changed while mapped.
    public func checkUnchanged() throws { try sourceCheck() }

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
