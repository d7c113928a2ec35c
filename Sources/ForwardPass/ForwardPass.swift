import Checkpoint
import Core
import Dispatch
import Foundation
import LinearAlgebra

/// The model run on prompts, float32, for the experiments that test the maps
/// (`../docs` of the paper: dynamic scores and ablations). A batch is prompts
/// of equal length; per block: norm, causal self-attention, output
/// projection, residual, norm, MLP, residual; then the final norm and the
/// unembedding. The hooks are the few the experiments need (`Interventions`).
public struct ForwardPass: Sendable {
    public let weights: DecoderWeights
    private let blocks = BlockCache()

    public init(weights: DecoderWeights) { self.weights = weights }

    /// Block `layer`, read (and checked) once for all the runs of this pass:
    /// an ablation sweep runs the model hundreds of times.
    func block(_ layer: Int) throws -> DecoderWeights.Block {
        try blocks.block(layer) { try weights.block($0) }
    }

    /// Logits at `positions` (default: each prompt's last), and what was recorded.
    public struct Output: Sendable {
        /// `[prompt][position index][vocab]` flattened: row `b · positions + i`.
        public let logits: Matrix
        public let positions: [Int]
        /// `z` of each recorded head: `[prompt][d_head]` flattened, at the recorded position.
        public let recorded: [HeadIndex: Matrix]
        /// Value vectors of the heads asked for, `[prompt][d_head]`, at their position.
        public let recordedValues: [HeadIndex: Matrix]
    }

    public func run(_ batch: [[Int]], interventions: Interventions = Interventions(), positions: [Int]? = nil) throws -> Output {
        try run(batch, interventions: interventions, positions: positions, capture: nil)
    }

    /// - Parameter capture: receives each layer's `[q | k | v]` rows (for a prefix cache).
    func run(_ batch: [[Int]], interventions: Interventions, positions: [Int]?, capture: ((Int, Matrix) -> Void)?) throws -> Output {
        let shape = weights.shape
        let d = shape.dModel, heads = shape.heads, dh = shape.dHead
        guard let length = batch.first?.count, length > 0, batch.allSatisfy({ $0.count == length }) else {
            throw ForwardPassError.unevenBatch(lengths: batch.map(\.count))
        }
        guard length <= weights.maximumPositions else { throw ForwardPassError.tooLong(length: length, maximum: weights.maximumPositions) }
        for prompt in batch { for id in prompt where id < 0 || id >= shape.vocab { throw ForwardPassError.tokenOutsideVocabulary(id: id, vocab: shape.vocab) } }
        try interventions.validate(layers: shape.layers, heads: heads, length: length, prompts: batch.count, dHead: dh)
        let wanted = positions ?? [length - 1]
        guard wanted.allSatisfy({ (0..<length).contains($0) }) else { throw ForwardPassError.positionOutOfRange(positions: wanted, length: length) }

        let rows = batch.count * length
        // Token and position embeddings.
        var x = Matrix(rows: rows, cols: d)
        weights.embedding.withMatrix { e in
            weights.positions.withMatrix { p in
                for (b, prompt) in batch.enumerated() {
                    for (t, id) in prompt.enumerated() {
                        for j in 0..<d { x[b * length + t, j] = e[id, j] + p[t, j] }
                    }
                }
            }
        }
        var recorded: [HeadIndex: Matrix] = [:], recordedValues: [HeadIndex: Matrix] = [:]
        let scale = 1 / Float(dh).squareRoot()
        for layer in 0..<shape.layers {
            let block = try block(layer)
            let qkv = queryKeyValue(x, block: block)
            capture?(layer, qkv)
            let z = attention(qkv, layer: layer, prompts: batch.count, length: length, interventions: interventions, scale: scale)
            for (index, position) in interventions.recordedValues where index.layer == layer {
                var m = Matrix(rows: batch.count, cols: dh)
                for b in 0..<batch.count { for j in 0..<dh { m[b, j] = qkv[b * length + position, 2 * d + index.head * dh + j] } }
                recordedValues[index] = m
            }
            for (index, position) in interventions.recorded where index.layer == layer {
                var m = Matrix(rows: batch.count, cols: dh)
                for b in 0..<batch.count { for j in 0..<dh { m[b, j] = z[b * length + position, index.head * dh + j] } }
                recorded[index] = m
            }
            finishBlock(&x, z: z, block: block)
        }
        let picked = x.gatherRows((0..<batch.count).flatMap { b in wanted.map { b * length + $0 } })
        return Output(logits: logits(picked), positions: wanted, recorded: recorded, recordedValues: recordedValues)
    }

    /// `x · w`: with one-thread BLAS, in fixed blocks of rows on every core
    /// (the same roundings whatever the core count); else one product.
    private func product(_ x: Matrix, _ w: MatrixView) -> Matrix {
        guard BLAS.threadCount == 1 else { return x.view { Products.multiply($0, w) } }
        // Few rows (the last position of each prompt): split the columns instead.
        return x.rows >= 512 ? Products.multiplyInRowBlocks(x, w, rowsPerBlock: 256) : Products.multiplyInColumnBlocks(x, w)
    }

    /// Every head's `z` for every position: causal softmax attention, with the
    /// interventions. Prompts run on every core (each writes only its own rows).
    func attention(_ qkv: Matrix, layer: Int, prompts: Int, length: Int, interventions: Interventions, scale: Float) -> Matrix {
        let shape = weights.shape, d = shape.dModel, dh = shape.dHead, heads = shape.heads
        var z = Matrix(rows: prompts * length, cols: d)
        z.storage.withUnsafeMutableBufferPointer { zp in
            let out = SharedFloats(zp.baseAddress!)
            qkv.view { v in
                DispatchQueue.concurrentPerform(iterations: prompts) { b in
                    let row = { (t: Int) in v.base + (b * length + t) * 3 * d }
                    var pattern = [Float](repeating: 0, count: length * length)
                    for head in 0..<heads {
                        let index = HeadIndex(layer: layer, head: head)
                        if interventions.zeroed.contains(index) { continue }
                        if let replacement = interventions.replacedZ[index] {
                            for t in 0..<length { for j in 0..<dh { out.pointer[(b * length + t) * d + head * dh + j] = replacement[b * length + t, j] } }
                            continue
                        }
                        // Scores `q·kᵀ / sqrt(dh)` over keys up to the query (causal), softmax.
                        let forced = interventions.forcedPatterns[index]
                        for q in 0..<length {
                            let query = row(q) + head * dh
                            var best = -Float.infinity
                            for k in 0...q {
                                let key = row(k) + d + head * dh
                                var s: Float = 0
                                for j in 0..<dh { s += query[j] * key[j] }
                                pattern[q * length + k] = s * scale
                                best = max(best, s * scale)
                            }
                            var sum: Float = 0
                            for k in 0...q { let e = exp(pattern[q * length + k] - best); pattern[q * length + k] = e; sum += e }
                            for k in 0...q { pattern[q * length + k] /= sum }
                            if let forced, forced.query == q {
                                for k in 0...q { pattern[q * length + k] = k == forced.key ? 1 : 0 }
                            }
                        }
                        let silenced = interventions.zeroedAt[index]
                        for q in 0..<length where q != silenced {
                            let target = out.pointer + (b * length + q) * d + head * dh
                            for k in 0...q where pattern[q * length + k] != 0 {
                                let a = pattern[q * length + k], value = row(k) + 2 * d + head * dh
                                for j in 0..<dh { target[j] += a * value[j] }
                            }
                        }
                    }
                }
            }
        }
        return z
    }

    /// The rest of a block once its heads' `z` is known: the output
    /// projection into the residual stream, then the MLP on its norm.
    func finishBlock(_ x: inout Matrix, z: Matrix, block: DecoderWeights.Block) {
        var attention = block.output.withMatrix { product(z, $0) }
        attention.addRowVector(block.outputBias)
        add(&x, attention)
        let h2 = block.mlpNorm.apply(to: x)
        var hidden = block.mlpIn.withMatrix { product(h2, $0) }
        hidden.addRowVector(block.mlpInBias)
        hidden.applyInParallel(block.activation)
        var mlp = block.mlpOut.withMatrix { product(hidden, $0) }
        mlp.addRowVector(block.mlpOutBias)
        add(&x, mlp)
    }

    /// `[q | k | v]` rows of a block for the residual rows `x`.
    func queryKeyValue(_ x: Matrix, block: DecoderWeights.Block) -> Matrix {
        let h = block.attentionNorm.apply(to: x)
        var qkv = block.qkv.withMatrix { product(h, $0) }
        qkv.addRowVector(block.qkvBias)
        return qkv
    }

    /// Final norm and unembedding of residual rows.
    func logits(_ rows: Matrix) -> Matrix {
        let normed = weights.finalNorm.apply(to: rows)
        return weights.unembedding.withMatrix { u in
            guard BLAS.threadCount == 1 else {
                var logits = Matrix(rows: normed.rows, cols: weights.shape.vocab)
                normed.view { r in logits.storage.withUnsafeMutableBufferPointer { Products.multiplyTransposed(r, u, into: $0.baseAddress!) } }
                return logits
            }
            return Products.multiplyTransposedInRowBlocksOfB(normed, u)
        }
    }

    private func add(_ x: inout Matrix, _ y: Matrix) {
        for i in x.storage.indices { x.storage[i] += y.storage[i] }
    }
}

/// The blocks a forward pass has read, shared by its copies.
private final class BlockCache: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Int: DecoderWeights.Block] = [:]

    func block(_ layer: Int, read: (Int) throws -> DecoderWeights.Block) throws -> DecoderWeights.Block {
        lock.lock()
        defer { lock.unlock() }
        if let cached = blocks[layer] { return cached }
        let block = try read(layer)
        blocks[layer] = block
        return block
    }
}
