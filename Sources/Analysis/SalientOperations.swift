import Checkpoint
import Dispatch
import LinearAlgebra
import Synchronization

/// What one head does, read from its weights (the paper's second tool): the
/// vocabulary tokens its OV circuit amplifies most, `‖x_s·W_V·W_O‖ / ‖x_s‖`
/// with the method's source rule, and the tokens each is mapped to (the top
/// logits of `x_s·W_V·W_O·W_U`). Exact: every token is a source, no sampling.
public struct SalientOperations: Sendable {
    public struct Mapping: Sendable, Equatable {
        public let tokenID: Int
        public let logit: Float
    }

    public struct Operation: Sendable, Equatable {
        public let tokenID: Int
        /// Computed in double from the weights, written as float32 (`ExactValues`).
        public let amplification: Float
        /// The top logits, best first (ties by token id).
        public let mappings: [Mapping]
    }

    public let layer: Int
    public let head: Int
    /// Best first; ties by token id.
    public let operations: [Operation]

    public static let defaultCount = 15
    public static let defaultMappings = 5

    /// - Parameters:
    ///   - sources: every vocabulary token's representation for this layer
    ///     (`VocabularySources`), computed once for all heads.
    ///   - tokens: how many leading ids are the tokenizer's tokens. Checkpoints
    ///     pad their matrices past the tokenizer (Pythia to 50,304 rows for
    ///     50,277 tokens, Qwen2, Phi-2); those rows are no input and no word,
    ///     so they are neither sources nor mappings. Default: every row.
    public init(
        model: TransformerWeights, layer: Int, head: Int, sources: VocabularySources,
        count: Int = defaultCount, mappings: Int = defaultMappings, tokens: Int? = nil
    ) throws {
        let x = sources.forLayer(layer)
        precondition(x.rows == model.shape.vocab)
        let ov = try model.heads(ofLayer: layer)[head]
        let tokens = SalientOperations.tokens(tokens, vocab: model.shape.vocab)
        let y = Products.multiply(x, ov.valueWeights)
        let screened = y.view {
            SalientOperations.screen(
                ov: ov, y: $0.base, stride: y.cols, squaredNorms: SalientOperations.squaredNorms(x, tokens: tokens),
                count: count)
        }
        self.init(
            layer: layer, head: head, ov: ov, screened: screened, logits: model.logits(of: screened.picked)[...],
            model: model, tokens: tokens, count: count, mappings: mappings,
            exactSources: ExactSources(model: model, rule: sources.rule).rows(screened.candidates, layer: layer))
    }

    private static func tokens(_ tokens: Int?, vocab: Int) -> Int { min(max(tokens ?? vocab, 0), vocab) }

    /// Every head of one layer: one product of the sources with every KV
    /// head's `W_V` side by side, the heads' amplifications on every core, and
    /// one product of all their candidate tokens with the unembedding (wide
    /// products run near BLAS's peak; a product per head of 15 rows would not).
    public static func layer(
        model: TransformerWeights, layer: Int, sources: VocabularySources,
        count: Int = defaultCount, mappings: Int = defaultMappings, tokens: Int? = nil
    ) throws -> [SalientOperations] {
        let tokens = SalientOperations.tokens(tokens, vocab: model.shape.vocab)
        return try self.layer(
            model: model, layer: layer, sources: sources.forLayer(layer),
            squaredNorms: squaredNorms(sources.forLayer(layer), tokens: tokens),
            count: count, mappings: mappings, tokens: tokens, exact: ExactSources(model: model, rule: sources.rule))
    }

    /// The same with the sources' `‖x‖²` known (every layer past the first
    /// reads the same sources: `everyHead` computes them once).
    private static func layer(
        model: TransformerWeights, layer: Int, sources: Matrix, squaredNorms norms: [Double],
        count: Int, mappings: Int, tokens: Int, exact: ExactSources
    ) throws -> [SalientOperations] {
        precondition(sources.rows == model.shape.vocab && norms.count == tokens)
        let heads = try model.heads(ofLayer: layer)
        let groups = Array(Set(heads.map(\.valueGroup))).sorted()
        let d = sources.cols
        let dh = heads[0].valueWeights.cols
        var stacked = Matrix(rows: d, cols: groups.count * dh)
        for (g, group) in groups.enumerated() {
            let w = heads.first { $0.valueGroup == group }!.valueWeights
            for i in 0..<d { for j in 0..<dh { stacked[i, g * dh + j] = w[i, j] } }
        }
        let parallel = BLAS.threadCount == 1
        let all = parallel ? Products.multiplyInRowBlocks(sources, stacked) : Products.multiply(sources, stacked)
        let results = Mutex([Int: Screened]())
        DispatchQueue.concurrentPerform(iterations: parallel ? heads.count : 1) { worker in
            for h in stride(from: worker, to: heads.count, by: parallel ? heads.count : 1) {
                let g = groups.firstIndex(of: heads[h].valueGroup)!
                let screened = all.view {
                    screen(ov: heads[h], y: $0.base + g * dh, stride: all.cols, squaredNorms: norms, count: count)
                }
                results.withLock { $0[h] = screened }
            }
        }
        let screened = heads.indices.map { h in results.withLock { $0[h]! } }
        let picked = Matrix(
            rows: screened.reduce(0) { $0 + $1.picked.rows }, cols: d, storage: screened.flatMap(\.picked.storage))
        let vocab = model.shape.vocab
        let logits = parallel ? model.logitsInVocabularyBlocks(of: picked) : model.logits(of: picked)
        // Every head's candidates in one double-precision batch, then each head's exact values on every core.
        let exactRows = exact.rows(screened.flatMap(\.candidates), layer: layer)
        // Where each head's picked rows and candidates start in the batches.
        let firstRow = screened.reduce(into: [0]) { $0.append($0.last! + $1.picked.rows) }
        let firstCandidate = screened.reduce(into: [0]) { $0.append($0.last! + $1.candidates.count) }
        let operations = Mutex([Int: SalientOperations]())
        DispatchQueue.concurrentPerform(iterations: parallel ? heads.count : 1) { worker in
            for h in stride(from: worker, to: heads.count, by: parallel ? heads.count : 1) {
                let made = SalientOperations(
                    layer: layer, head: h, ov: heads[h], screened: screened[h],
                    logits: logits[(firstRow[h] * vocab)..<(firstRow[h + 1] * vocab)],
                    model: model, tokens: tokens, count: count, mappings: mappings,
                    exactSources: Array(exactRows[(firstCandidate[h] * d)..<(firstCandidate[h + 1] * d)]))
                operations.withLock { $0[h] = made }
            }
        }
        return heads.indices.map { h in operations.withLock { $0[h]! } }
    }

    /// Every head of the model, a layer at a time (`layer(...)` each), from
    /// sources computed once; `progress` after each layer.
    public static func everyHead(
        model: TransformerWeights, sources: VocabularySources, count: Int = defaultCount,
        mappings: Int = defaultMappings, tokens: Int? = nil,
        progress: (_ layersDone: Int, _ layers: Int) -> Void = { _, _ in }
    ) throws -> [SalientOperations] {
        var all: [SalientOperations] = []
        try everyHead(
            model: model, sources: sources, count: count, mappings: mappings, tokens: tokens, progress: progress
        ) { all += $0 }
        return all
    }

    /// The same, handed over a layer at a time, so that a caller that writes
    /// them out holds one layer's operations, not every head's.
    public static func everyHead(
        model: TransformerWeights, sources: VocabularySources, count: Int = defaultCount,
        mappings: Int = defaultMappings, tokens: Int? = nil,
        progress: (_ layersDone: Int, _ layers: Int) -> Void = { _, _ in },
        eachLayer: ([SalientOperations]) throws -> Void
    ) throws {
        let tokens = SalientOperations.tokens(tokens, vocab: model.shape.vocab)
        let exact = ExactSources(model: model, rule: sources.rule)
        var norms: [String: [Double]] = [:]
        for l in 0..<model.shape.layers {
            let x = sources.forLayer(l)
            let kind = sources.rule.name(layer: l)
            if norms[kind] == nil { norms[kind] = squaredNorms(x, tokens: tokens) }
            try eachLayer(
                try layer(
                    model: model, layer: l, sources: x, squaredNorms: norms[kind]!, count: count, mappings: mappings,
                    tokens: tokens, exact: exact))
            progress(l + 1, model.shape.layers)
        }
    }

    /// `‖x‖²` of the first `tokens` rows: the rows that can be sources.
    static func squaredNorms(_ x: Matrix, tokens: Int) -> [Double] {
        (0..<tokens).map { s in
            var n = 0.0
            for j in 0..<x.cols {
                let v = Double(x.storage[s * x.cols + j])
                n += v * v
            }
            return n
        }
    }

    /// One head's candidate tokens by float32 amplification (`ExactValues`),
    /// and their `x·W_V·W_O` rows.
    struct Screened: Sendable {
        let candidates: [Int]
        let picked: Matrix
    }

    /// From `y = x·W_V` for every source token (the rows of `squaredNorms`):
    /// ‖x·W_V·W_O‖² = (x·W_V)·G·(x·W_V)ᵀ with G = W_O·W_Oᵀ (d_head × d_head),
    /// so the [vocab, d_model] product is never formed.
    /// `y` is read where it lies: row `s` of this head's `d_head` columns starts
    /// at `y + s·stride` (a layer's product holds every KV head side by side),
    /// and `y·G` is made a few thousand rows at a time, so no per-head copy of
    /// `[vocab, d_head]` is made.
    static func screen(ov: HeadOV, y: UnsafePointer<Float>, stride: Int, squaredNorms: [Double], count: Int) -> Screened
    {
        let dh = ov.outputWeights.rows
        let rows = squaredNorms.count
        let gram = ov.outputWeights.view { o in
            var g = [Float](repeating: 0, count: o.rows * o.rows)
            g.withUnsafeMutableBufferPointer { Products.multiplyTransposed(o, o, into: $0.baseAddress!) }
            return g
        }
        var amplification = [Float](repeating: 0, count: rows)
        let chunk = 4096
        var yg = [Float](repeating: 0, count: min(chunk, rows) * dh)
        for lo in Swift.stride(from: 0, to: rows, by: chunk) {
            let m = min(chunk, rows - lo)
            yg.withUnsafeMutableBufferPointer { out in
                BLAS.gemm(
                    m: m, n: dh, k: dh, a: y + lo * stride, lda: stride, b: gram, ldb: dh, c: out.baseAddress!, ldc: dh)
            }
            for s in lo..<(lo + m) {
                var outNorm = 0.0
                let row = y + s * stride
                let rowG = (s - lo) * dh
                for j in 0..<dh { outNorm += Double(row[j]) * Double(yg[rowG + j]) }
                amplification[s] = squaredNorms[s] > 0 ? Float((max(0, outNorm) / squaredNorms[s]).squareRoot()) : 0
            }
        }
        let candidates = ExactValues.candidates(rows, max(0, min(count, rows)), extra: 64) { amplification[$0] }
        var picked = Matrix(rows: candidates.count, cols: dh)
        for (i, s) in candidates.enumerated() { for j in 0..<dh { picked[i, j] = y[s * stride + j] } }
        return Screened(candidates: candidates, picked: Products.multiply(picked, ov.outputWeights))
    }

    /// The operations: the candidates' amplifications and their mappings'
    /// logits recomputed in double, ordered with ties by token id.
    /// - Parameter exactSources: the candidates' sources in double precision, row-major.
    private init(
        layer: Int, head: Int, ov: HeadOV, screened: Screened, logits: ArraySlice<Float>,
        model: TransformerWeights, tokens: Int, count: Int, mappings: Int, exactSources x: [Double]
    ) {
        self.layer = layer
        self.head = head
        let d = model.shape.dModel
        let vocab = model.shape.vocab
        let n = screened.candidates.count
        let out = ExactValues.headOutputs(x, rows: n, ov: ov)
        func norm(_ v: [Double], _ i: Int) -> Double {
            v[(i * d)..<((i + 1) * d)].reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        let amplification = (0..<n).map { i in
            (id: screened.candidates[i], value: norm(x, i) > 0 ? norm(out, i) / norm(x, i) : 0)
        }
        let slot = Dictionary(uniqueKeysWithValues: screened.candidates.enumerated().map { ($1, $0) })
        let base = logits.startIndex
        operations = ExactValues.ordered(amplification, n: max(0, count)).map { chosen in
            let i = slot[chosen.id]!
            let top = ExactValues.topLogits(
                row: { logits[base + i * vocab + $0] }, tokens: tokens, n: max(0, min(mappings, tokens)),
                out: out[(i * d)..<((i + 1) * d)], model: model)
            return Operation(
                tokenID: chosen.id, amplification: Float(chosen.value),
                mappings: top.map { Mapping(tokenID: $0.id, logit: Float($0.value)) })
        }
    }

    /// The `n` indices of `0..<count` with the largest values, best first, ties by index.
    static func best(_ count: Int, _ n: Int, _ value: (Int) -> Double) -> [Int] {
        var chosen: [(Int, Double)] = []
        for i in 0..<count {
            let v = value(i)
            if chosen.count == n, let last = chosen.last, !(v > last.1) { continue }
            let at = chosen.firstIndex { v > $0.1 } ?? chosen.count
            chosen.insert((i, v), at: at)
            if chosen.count > n { chosen.removeLast() }
        }
        return chosen.map(\.0)
    }
}

/// Every vocabulary token as a source, by a `SourceRule`. The MLP runs over
/// the vocabulary in row blocks, so its `[block, d_mlp]` hidden layer, not a
/// `[vocab, d_mlp]` one, is what memory holds; the embedding rows it reads
/// are converted block by block, and the whole embedding is kept only when a
/// wanted layer reads it directly.
public struct VocabularySources: Sendable {
    public let embedding: Matrix?
    public let afterFirstMLP: Matrix?
    public let rule: SourceRule

    public static let rowsPerBlock = 4096

    /// - Parameters:
    ///   - layers: the layers the sources are wanted for (the MLP is skipped when none of them reads it).
    ///   - progress: blocks of the vocabulary done, and their number (block 0's MLP over 128k tokens takes minutes).
    public init(
        model: TransformerWeights, layers: [Int]? = nil, rule: SourceRule = .mlp0,
        progress: ((_ done: Int, _ blocks: Int) -> Void)? = nil
    ) throws {
        self.rule = rule
        let vocab = model.shape.vocab
        let wanted = layers ?? Array(0..<model.shape.layers)
        embedding = wanted.contains(where: { !rule.readsMLP(layer: $0) }) ? model.embeddingMatrix() : nil
        guard wanted.contains(where: rule.readsMLP) else {
            afterFirstMLP = nil
            return
        }
        // Blocks are independent: with one-thread BLAS they run on every core
        // (the rows, and so the result, are the same whatever the core count);
        // a BLAS that uses every core itself gets them one at a time.
        let starts = Array(stride(from: 0, to: vocab, by: VocabularySources.rowsPerBlock))
        let workers = BLAS.threadCount == 1 ? starts.count : 1
        // Each block writes its own rows of the result; progress is reported
        // under the lock, one call at a time, from whichever worker finished.
        let state = Mutex((done: 0, failure: (any Error)?.none))
        let report = SerializedProgress(call: progress)
        var out = Matrix(rows: vocab, cols: model.shape.dModel)
        let d = out.cols
        out.storage.withUnsafeMutableBufferPointer { buffer in
            let result = SharedFloats(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for i in stride(from: worker, to: starts.count, by: workers) {
                    let rows = Array(starts[i]..<min(vocab, starts[i] + VocabularySources.rowsPerBlock))
                    do {
                        let block = try SourceRepresentations.firstMLP(
                            model: model, embedding: model.embeddingRows(rows), tokens: rows)
                        block.storage.withUnsafeBufferPointer {
                            (result.pointer + starts[i] * d).update(from: $0.baseAddress!, count: $0.count)
                        }
                    } catch {
                        state.withLock { $0.failure = $0.failure ?? error }
                    }
                    state.withLock {
                        $0.done += 1
                        report.call?($0.done, starts.count)
                    }
                }
            }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
        afterFirstMLP = out
    }

    /// A progress callback the workers call one at a time (under a lock).
    private struct SerializedProgress: @unchecked Sendable {
        let call: ((Int, Int) -> Void)?
    }

    public func forLayer(_ layer: Int) -> Matrix {
        guard rule.readsMLP(layer: layer) else {
            guard let embedding else { preconditionFailure("sources for layer \(layer) were not computed") }
            return embedding
        }
        guard let afterFirstMLP else { preconditionFailure("sources for layer \(layer) were not computed") }
        return afterFirstMLP
    }
}
