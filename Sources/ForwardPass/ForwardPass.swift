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
    public let weights: ModelWeights
    private let blocks: BlockCache

    /// - Parameter blockCacheBytes: how much memory converted blocks may keep
    ///   between runs (default: half the machine's); past it, blocks are read
    ///   again for every run.
    public init(weights: ModelWeights, blockCacheBytes: Int = ForwardPass.defaultBlockCacheBytes) {
        self.weights = weights
        self.blocks = BlockCache(budget: blockCacheBytes)
    }

    /// Half the physical memory: an 8-billion-parameter model's blocks in
    /// float32 (32 GB) do not all fit on a 24 GB machine, and need not.
    public static var defaultBlockCacheBytes: Int { Int(ProcessInfo.processInfo.physicalMemory / 2) }

    /// Block `layer`, read (and checked) once for all the runs of this pass
    /// while the cache's budget allows: an ablation sweep runs the model
    /// hundreds of times.
    func block(_ layer: Int) throws -> ModelWeights.Block {
        try blocks.block(layer) { try weights.block($0) }
    }

    /// How many blocks the cache holds now.
    public var cachedBlocks: Int { blocks.count }

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

    public func run(
        _ batch: [[Int]], interventions: Interventions = Interventions(), positions: [Int]? = nil
    ) throws -> Output {
        try run(batch, interventions: interventions, positions: positions, capture: nil)
    }

    /// - Parameter capture: receives each layer's `[q | k | v]` rows (for a prefix cache).
    func run(
        _ batch: [[Int]], interventions: Interventions, positions: [Int]?, capture: ((Int, Matrix) -> Void)?
    ) throws -> Output {
        let shape = weights.shape
        let heads = shape.heads
        let dh = shape.dHead
        guard let length = batch.first?.count, length > 0, batch.allSatisfy({ $0.count == length }) else {
            throw ForwardPassError.unevenBatch(lengths: batch.map(\.count))
        }
        guard length <= weights.maximumPositions else {
            throw ForwardPassError.tooLong(length: length, maximum: weights.maximumPositions)
        }
        for prompt in batch {
            for id in prompt where id < 0 || id >= shape.vocab {
                throw ForwardPassError.tokenOutsideVocabulary(id: id, vocab: shape.vocab)
            }
        }
        try interventions.validate(layers: shape.layers, heads: heads, length: length, prompts: batch.count, dHead: dh)
        let wanted = positions ?? [length - 1]
        guard wanted.allSatisfy({ (0..<length).contains($0) }) else {
            throw ForwardPassError.positionOutOfRange(positions: wanted, length: length)
        }

        // Positions every prompt shares (a template's words before its
        // subject) run once, as one prompt; the batch then runs only the
        // positions after them, its queries reading the shared keys and values.
        let shared = sharedPrefixLength(batch, interventions: interventions, wanted: wanted)
        var prefix = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: shape.layers)
        if shared > 0 {
            var prefixInterventions = Interventions()
            prefixInterventions.zeroed = interventions.zeroed
            _ = try run([Array(batch[0].prefix(shared))], interventions: prefixInterventions, positions: nil) {
                layer, qkv in prefix[layer] = qkv
            }
        }
        let rest = length - shared
        // Token embeddings, and learned positions where the model has them.
        let rowPositions = batch.indices.flatMap { _ in Array(shared..<length) }
        var x = weights.inputRows(tokens: batch.flatMap { $0[shared...] }, positions: rowPositions)
        var recorded: [HeadIndex: Matrix] = [:]
        var recordedValues: [HeadIndex: Matrix] = [:]
        for layer in 0..<shape.layers {
            let block = try block(layer)
            let qkv = queryKeyValue(x, block: block, positions: rowPositions)
            capture?(layer, shared == 0 ? qkv : Self.joined(prefix[layer], qkv, prompts: batch.count))
            let z = attention(
                qkv, prefix: prefix[layer], layer: layer, window: block.attention.slidingWindow, prompts: batch.count,
                length: length,
                interventions: interventions)
            for (index, position) in interventions.recordedValues where index.layer == layer {
                var m = Matrix(rows: batch.count, cols: dh)
                let offset = weights.valueOffset + shape.valueGroup(ofHead: index.head) * dh
                for b in 0..<batch.count { for j in 0..<dh { m[b, j] = qkv[b * rest + position - shared, offset + j] } }
                recordedValues[index] = m
            }
            for (index, position) in interventions.recorded where index.layer == layer {
                var m = Matrix(rows: batch.count, cols: dh)
                for b in 0..<batch.count {
                    for j in 0..<dh { m[b, j] = z[b * rest + position - shared, index.head * dh + j] }
                }
                recorded[index] = m
            }
            finishBlock(&x, z: z, block: block)
        }
        let picked = x.gatherRows((0..<batch.count).flatMap { b in wanted.map { b * rest + $0 - shared } })
        return Output(logits: logits(picked), positions: wanted, recorded: recorded, recordedValues: recordedValues)
    }

    /// Every prompt's rows `[q | k | v]` in order: the shared positions'
    /// (the same for each prompt), then its own.
    static func joined(_ shared: Matrix, _ own: Matrix, prompts: Int) -> Matrix {
        let rest = own.rows / prompts
        var out = Matrix(rows: prompts * (shared.rows + rest), cols: own.cols)
        for b in 0..<prompts {
            out.setRows(b * (shared.rows + rest), from: shared)
            out.setRows(b * (shared.rows + rest) + shared.rows, from: own.gatherRows(Array(b * rest..<(b + 1) * rest)))
        }
        return out
    }

    /// How many leading positions can run once for the whole batch: those
    /// every prompt has the same tokens at, before any position an
    /// intervention or the output names (an intervention there would be the
    /// same for every prompt, but keeping them out keeps the rule simple).
    /// Replaced `z` differs per prompt everywhere: no sharing then.
    public func sharedPrefixLength(_ batch: [[Int]], interventions: Interventions, wanted: [Int]) -> Int {
        guard batch.count > 1, interventions.replacedZ.isEmpty, let first = batch.first else { return 0 }
        var common = 0
        while common < first.count - 1 && batch.allSatisfy({ $0[common] == first[common] }) { common += 1 }
        let named =
            wanted + Array(interventions.zeroedAt.values) + Array(interventions.recorded.values)
            + Array(interventions.recordedValues.values)
            + interventions.forcedPatterns.values.flatMap { [$0.query, $0.key] }
        let limit = min(common, named.min() ?? common)
        // One shared position saves less than the extra run costs.
        return limit >= 2 ? limit : 0
    }

    /// `x · W + b`: with one-thread BLAS, in fixed blocks of rows on every
    /// core (the same roundings whatever the core count); else one product.
    /// Few rows (the last position of each prompt) split the columns instead.
    func apply(_ linear: ModelWeights.Linear, to x: Matrix) -> Matrix {
        var y = linear.weight.withMatrix { w -> Matrix in
            switch (BLAS.threadCount == 1, linear.storedOutIn) {
            case (false, false):
                return x.view { Products.multiply($0, w) }
            case (false, true):
                var out = Matrix(rows: x.rows, cols: w.rows)
                x.view { r in
                    out.storage.withUnsafeMutableBufferPointer {
                        Products.multiplyTransposed(r, w, into: $0.baseAddress!)
                    }
                }
                return out
            case (true, false):
                return Products.multiplyInColumnBlocks(x, w)
            case (true, true):
                return Products.multiplyTransposedInRowBlocksOfB(x, w, rowsPerBlock: 512)
            }
        }
        if !linear.bias.isEmpty { y.addRowVector(linear.bias) }
        return y
    }

    /// Every head's `z` for every position after the shared ones: causal
    /// softmax attention, with the interventions. Prompts run on every core
    /// (each writes only its own rows).
    /// - Parameter prefix: `[q | k | v]` rows of the positions every prompt
    ///   shares (none: an empty matrix); `qkv` holds each prompt's later positions.
    func attention(
        _ qkv: Matrix, prefix: Matrix, layer: Int, window: Int?, prompts: Int, length: Int, interventions: Interventions
    ) -> Matrix {
        let weights = self.weights
        let shape = weights.shape
        let dh = shape.dHead
        let heads = shape.heads
        let width = weights.queryKeyValueWidth
        let zWidth = weights.queryWidth
        let keyOffset = weights.keyOffset
        let valueOffset = weights.valueOffset
        let shared = prefix.rows
        let rest = length - shared
        var z = Matrix(rows: prompts * rest, cols: zWidth)
        z.storage.withUnsafeMutableBufferPointer { zp in
            let out = SharedFloats(zp.baseAddress!)
            // (Without shared positions `p` is never read; an empty matrix has no storage to view.)
            qkv.view { v in
                (shared > 0 ? prefix : qkv).view { p in
                    DispatchQueue.concurrentPerform(iterations: prompts) { b in
                        // Position t's row: the shared one, or this prompt's own.
                        let row = { (t: Int) in
                            t < shared ? p.base + t * width : v.base + (b * rest + t - shared) * width
                        }
                        var pattern = [Float](repeating: 0, count: length * length)
                        for head in 0..<heads {
                            let index = HeadIndex(layer: layer, head: head)
                            if interventions.zeroed.contains(index) { continue }
                            if let replacement = interventions.replacedZ[index] {
                                // (No shared positions when z is replaced.)
                                for t in 0..<length {
                                    for j in 0..<dh {
                                        out.pointer[(b * length + t) * zWidth + head * dh + j] =
                                            replacement[b * length + t, j]
                                    }
                                }
                                continue
                            }
                            let group = shape.valueGroup(ofHead: head)
                            // Scores `q·kᵀ / sqrt(dh)` over keys up to the query (causal, and
                            // within the sliding window where the layer has one), softmax.
                            let forced = interventions.forcedPatterns[index]
                            for q in shared..<length {
                                let first = window.map { max(0, q - $0 + 1) } ?? 0
                                pattern.withUnsafeMutableBufferPointer { p in
                                    let weightsOfQuery = p.baseAddress! + q * length
                                    for k in 0..<first { weightsOfQuery[k] = 0 }
                                    ForwardPass.attentionWeights(
                                        weights, query: row(q) + head * dh, key: { row($0) + keyOffset + group * dh },
                                        keys: first...q, into: weightsOfQuery)
                                }
                                if let forced, forced.query == q {
                                    for k in 0...q { pattern[q * length + k] = k == forced.key ? 1 : 0 }
                                }
                            }
                            let silenced = interventions.zeroedAt[index]
                            for q in shared..<length where q != silenced {
                                let target = out.pointer + (b * rest + q - shared) * zWidth + head * dh
                                for k in 0...q where pattern[q * length + k] != 0 {
                                    let a = pattern[q * length + k]
                                    let value = row(k) + valueOffset + group * dh
                                    for j in 0..<dh { target[j] += a * value[j] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return z
    }

    /// One query's softmax attention weights over `keys` (written at
    /// `weights[k]`): `q·k` through the model's scale and soft cap. The one
    /// computation of attention of the full pass and the last-position pass.
    static func attentionWeights(
        _ model: ModelWeights, query: UnsafePointer<Float>, key: (Int) -> UnsafePointer<Float>,
        keys: ClosedRange<Int>, into weights: UnsafeMutablePointer<Float>
    ) {
        let dh = model.shape.dHead
        var best = -Float.infinity
        for k in keys {
            let keyRow = key(k)
            var s: Float = 0
            for j in 0..<dh { s += query[j] * keyRow[j] }
            weights[k] = model.attentionScore(s)
            best = max(best, weights[k])
        }
        var sum: Float = 0
        for k in keys {
            let e = exp(weights[k] - best)
            weights[k] = e
            sum += e
        }
        for k in keys { weights[k] /= sum }
    }

    /// The rest of a block once its heads' `z` is known: the output
    /// projection into the residual stream, then the MLP on its norm.
    func finishBlock(_ x: inout Matrix, z: Matrix, block: ModelWeights.Block) {
        var attention = apply(block.attention.output, to: z)
        if let norm = block.attention.outputNorm { attention = norm.apply(to: attention) }
        // Parallel blocks: the MLP reads the block's input, not the stream after attention.
        if !block.parallel { x.add(attention) }
        let branch = block.feedForward
        var mlp = apply(branch.mlp, to: branch.norm.apply(to: x))
        if let norm = branch.outputNorm { mlp = norm.apply(to: mlp) }
        if block.parallel { x.add(attention) }
        x.add(mlp)
    }

    /// An MLP on rows already normed. A mixture of experts sends each row
    /// through the experts its router picks (`ExpertRouting`, as the static
    /// sources do) and sums their weighted outputs in expert order, as
    /// transformers does.
    func apply(_ mlp: ModelWeights.MLP, to h: Matrix) -> Matrix {
        switch mlp {
        case .plain(let input, let output, let activation):
            var hidden = apply(input, to: h)
            hidden.applyInParallel(activation)
            return apply(output, to: hidden)
        case .gated(let gate, let up, let down, let activation):
            var hidden = apply(up, to: h)
            var gated = apply(gate, to: h)
            gated.applyInParallel(activation)
            for i in hidden.storage.indices { hidden.storage[i] *= gated.storage[i] }
            return apply(down, to: hidden)
        case .mixture(let mixture):
            return ExpertRouting.mix(
                h, logits: apply(mixture.router, to: h), topK: mixture.topK, normalizes: mixture.normalizesTopK,
                experts: mixture.experts.count, outputs: weights.shape.dModel
            ) { e, rows in apply(mixture.experts[e], to: rows) }
        }
    }

    /// `[q | k | v]` rows of a block for the residual rows `x` at `positions`,
    /// queries and keys turned by the rotary embedding where the model has one.
    func queryKeyValue(_ x: Matrix, block: ModelWeights.Block, positions: [Int]) -> Matrix {
        let attention = block.attention
        let h = attention.norm.apply(to: x)
        let parts = attention.queryKeyValue.map { apply($0, to: h) }
        var qkv: Matrix
        if parts.count == 1 && attention.interleavedPerHead {
            // `[q k v]` per head → `[q | k | v]`.
            let dh = weights.shape.dHead
            let heads = weights.shape.heads
            qkv = Matrix(rows: h.rows, cols: weights.queryKeyValueWidth)
            for r in 0..<h.rows {
                for head in 0..<heads {
                    for part in 0..<3 {
                        for j in 0..<dh {
                            qkv[r, part * heads * dh + head * dh + j] = parts[0][r, (3 * head + part) * dh + j]
                        }
                    }
                }
            }
        } else if parts.count == 1 {
            qkv = parts[0]
        } else {
            qkv = Matrix(rows: h.rows, cols: weights.queryKeyValueWidth)
            var column = 0
            for part in parts {
                for r in 0..<h.rows { for j in 0..<part.cols { qkv[r, column + j] = part[r, j] } }
                column += part.cols
            }
        }
        let shape = weights.shape
        let width = weights.queryKeyValueWidth
        let keyOffset = weights.keyOffset
        for (norm, offset, heads) in [
            (attention.queryNorm, 0, shape.heads), (attention.keyNorm, keyOffset, shape.kvHeads),
        ] {
            guard let norm else { continue }
            // A norm `d_head` wide normalises each head (Gemma 3, Qwen3); one
            // as wide as all the heads, the whole projection (OLMo 2).
            let width = norm.weight.count
            let pieces = heads * shape.dHead / width
            var rows = Matrix(rows: qkv.rows * pieces, cols: width)
            for r in 0..<qkv.rows {
                for p in 0..<pieces { for j in 0..<width { rows[r * pieces + p, j] = qkv[r, offset + p * width + j] } }
            }
            let normed = norm.apply(to: rows)
            for r in 0..<qkv.rows {
                for p in 0..<pieces {
                    for j in 0..<width { qkv[r, offset + p * width + j] = normed[r * pieces + p, j] }
                }
            }
        }
        if let rotary = attention.rotary ?? weights.rotary {
            qkv.storage.withUnsafeMutableBufferPointer { p in
                for (r, position) in positions.enumerated() {
                    let row = p.baseAddress! + r * width
                    rotary.apply(row, heads: shape.heads, stride: shape.dHead, position: position)
                    rotary.apply(row + keyOffset, heads: shape.kvHeads, stride: shape.dHead, position: position)
                }
            }
        }
        return qkv
    }

    /// Final norm and unembedding of residual rows.
    func logits(_ rows: Matrix) -> Matrix {
        var logits = unembed(weights.finalNorm.apply(to: rows))
        finishLogits(&logits)
        return logits
    }

    /// `normed · W_Uᵀ`: the unembedding's product alone, before any bias or cap.
    func unembed(_ normed: Matrix) -> Matrix {
        weights.unembedding.withMatrix { u in
            guard BLAS.threadCount == 1 else {
                var logits = Matrix(rows: normed.rows, cols: weights.shape.vocab)
                normed.view { r in
                    logits.storage.withUnsafeMutableBufferPointer {
                        Products.multiplyTransposed(r, u, into: $0.baseAddress!)
                    }
                }
                return logits
            }
            return Products.multiplyTransposedInRowBlocksOfB(normed, u)
        }
    }

    /// `finishLogits` on every row.
    func finishLogits(_ logits: inout Matrix) {
        guard !weights.unembeddingBias.isEmpty || weights.finalSoftcap != nil else { return }
        let vocab = logits.cols
        let rows = logits.rows
        logits.storage.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows { finishLogits(p.baseAddress! + r * vocab, tokens: 0..<vocab) }
        }
    }

    /// What follows the unembedding's product for tokens `tokens` of one row
    /// of logits (`row` holds their values): `lm_head`'s bias, then the final soft cap.
    func finishLogits(_ row: UnsafeMutablePointer<Float>, tokens: Range<Int>) {
        let bias = weights.unembeddingBias
        if !bias.isEmpty { for j in tokens { row[j - tokens.lowerBound] += bias[j] } }
        if let cap = weights.finalSoftcap { for j in 0..<tokens.count { row[j] = cap * tanh(row[j] / cap) } }
    }
}

/// The blocks a forward pass has read, shared by its copies, up to a budget
/// of converted bytes (blocks read in place from an F32 mapping cost none).
private final class BlockCache: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Int: ModelWeights.Block] = [:]
    private let budget: Int
    private var bytes = 0

    init(budget: Int) { self.budget = budget }

    var count: Int { lock.withLock { blocks.count } }

    func block(_ layer: Int, read: (Int) throws -> ModelWeights.Block) throws -> ModelWeights.Block {
        lock.lock()
        defer { lock.unlock() }
        if let cached = blocks[layer] { return cached }
        let block = try read(layer)
        let size = block.convertedBytes
        if bytes + size <= budget {
            blocks[layer] = block
            bytes += size
        }
        return block
    }
}
