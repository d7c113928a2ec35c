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
        let tokens = SalientOperations.tokens(tokens, vocab: model.shape.vocab)
        self = try SalientOperations.heads(
            [head], model: model, layer: layer, sources: x,
            squaredNorms: SalientOperations.squaredNorms(x, tokens: tokens), count: count, mappings: mappings,
            exact: ExactSources(model: model, rule: sources.rule))[0]
    }

    private static func tokens(_ tokens: Int?, vocab: Int) -> Int { min(max(tokens ?? vocab, 0), vocab) }

    /// Every head of one layer: one product of the sources with every KV
    /// head's `W_V` side by side, the heads' amplifications on every core, and
    /// one product of all their operations' outputs with the unembedding (wide
    /// products run near BLAS's peak; a product per head of 15 rows would not).
    public static func layer(
        model: TransformerWeights, layer: Int, sources: VocabularySources,
        count: Int = defaultCount, mappings: Int = defaultMappings, tokens: Int? = nil
    ) throws -> [SalientOperations] {
        let tokens = SalientOperations.tokens(tokens, vocab: model.shape.vocab)
        let x = sources.forLayer(layer)
        return try heads(
            Array(0..<model.shape.heads), model: model, layer: layer, sources: x,
            squaredNorms: squaredNorms(x, tokens: tokens), count: count, mappings: mappings,
            exact: ExactSources(model: model, rule: sources.rule))
    }

    /// The heads `which` of one layer, with the sources' `‖x‖²` known (every
    /// layer past the first reads the same sources: `everyHead` computes them
    /// once); the rows of `squaredNorms` are the tokens that can be sources.
    ///
    /// 1. Every source's float32 amplification (`screenAmplifications`), the
    ///    candidates by it (`ExactValues.candidates`);
    /// 2. the candidates' amplifications in double, the best `count` chosen;
    /// 3. those operations' logits over the vocabulary in float32, from their
    ///    double outputs, in one product for all the heads; their top mappings
    ///    refined in double.
    private static func heads(
        _ which: [Int], model: TransformerWeights, layer: Int, sources: Matrix, squaredNorms norms: [Double],
        count: Int, mappings: Int, exact: ExactSources
    ) throws -> [SalientOperations] {
        precondition(sources.rows == model.shape.vocab && norms.count <= sources.rows)
        let all = try model.heads(ofLayer: layer)
        let heads = which.map { all[$0] }
        let tokens = norms.count
        let d = model.shape.dModel
        let amplification = screenAmplifications(heads, sources: sources, squaredNorms: norms)
        let workers = BLAS.threadCount == 1 ? heads.count : 1
        let candidates = onEveryCore(heads.count, workers: workers) { h in
            ExactValues.candidates(tokens, max(0, min(count, tokens)), extra: 64) { amplification[h * tokens + $0] }
        }
        // Every head's candidates in one double-precision batch; then each
        // head's exact outputs and the operations they order.
        let exactRows = exact.rows(candidates.flatMap { $0 }, layer: layer)
        let firstCandidate = candidates.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let chosen = onEveryCore(heads.count, workers: workers) { h in
            let x = Array(exactRows[(firstCandidate[h] * d)..<(firstCandidate[h + 1] * d)])
            return ExactValues.chooseOperations(
                candidates: candidates[h], exactSources: x, ov: heads[h], count: max(0, count))
        }
        // Their outputs, rounded to float32, screen the mappings over the vocabulary.
        let outputs = Matrix(
            rows: chosen.reduce(0) { $0 + $1.count }, cols: d,
            storage: chosen.flatMap { $0.flatMap { $0.output.map(Float.init) } })
        let vocab = model.shape.vocab
        let logits =
            mappings <= 0 || outputs.rows == 0
            ? []
            : workers > 1
                ? model.logitsInVocabularyBlocks(of: outputs, rowsPerBlock: logitRows) : model.logits(of: outputs)
        let firstRow = chosen.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        return onEveryCore(heads.count, workers: workers) { h in
            let operations = chosen[h].enumerated().map { i, operation in
                let row = (firstRow[h] + i) * vocab
                let top = ExactValues.topLogits(
                    row: { logits[row + $0] }, tokens: tokens, n: max(0, min(mappings, tokens)),
                    out: operation.output[...], model: model)
                return Operation(
                    tokenID: operation.id, amplification: Float(operation.amplification),
                    mappings: top.map { Mapping(tokenID: $0.id, logit: Float($0.value)) })
            }
            return SalientOperations(layer: layer, head: which[h], operations: operations)
        }
    }

    /// The unembedding rows one product of the operations' logits takes:
    /// small enough that the blocks share out evenly over the cores (the
    /// logits only screen; their values are recomputed in double).
    static let logitRows = 1024

    private init(layer: Int, head: Int, operations: [Operation]) {
        self.layer = layer
        self.head = head
        self.operations = operations
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
                try heads(
                    Array(0..<model.shape.heads), model: model, layer: l, sources: x, squaredNorms: norms[kind]!,
                    count: count, mappings: mappings, exact: exact))
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

    /// The rows of sources one step of `screenAmplifications` takes: their
    /// `x·W_V` for every head (4 MB on a 1024-wide model) stays in cache
    /// while each head reads its columns.
    static let screenRows = 1024

    /// Each head's float32 amplification of every source row (the rows of
    /// `squaredNorms`), head-major `[heads, rows]`.
    ///
    /// ‖x·W_V·W_O‖ = ‖x·W_V·L‖ where L·Lᵀ = W_O·W_Oᵀ (`d_head × d_head`,
    /// Cholesky, in double), so the `[vocab, d_model]` product is never
    /// formed. Where every head has its own `W_V` (multi-head attention),
    /// `W_V·L` is one map and the screen is one product per block of rows:
    /// the sources times every head's map side by side. Where heads share a
    /// KV head, the block is the sources times each KV head's `W_V`, then
    /// each head's columns times its `L`. Blocks of rows are shared out to every core.
    static func screenAmplifications(_ heads: [HeadOV], sources: Matrix, squaredNorms: [Double]) -> [Float] {
        let groups = Array(Set(heads.map(\.valueGroup))).sorted()
        let folded = groups.count == heads.count
        let d = sources.cols
        let dh = heads[0].valueWeights.cols
        let factors = heads.map { choleskyFactor(gramOf: $0.outputWeights) }
        // The maps side by side: each head's `W_V·L`, or each KV head's `W_V`.
        let maps: [[Float]] =
            folded
            ? heads.indices.map { h in
                let wv = heads[h].valueWeights.storage.map(Double.init)
                var product = [Double](repeating: 0, count: d * dh)
                BLAS.gemm(m: d, n: dh, k: dh, a: wv, lda: dh, b: factors[h], ldb: dh, c: &product, ldc: dh)
                return product.map(Float.init)
            }
            : groups.map { group in heads.first { $0.valueGroup == group }!.valueWeights.storage }
        let width = maps.count * dh
        var stacking = [Float](repeating: 0, count: d * width)
        for (m, map) in maps.enumerated() {
            for i in 0..<d { for j in 0..<dh { stacking[i * width + m * dh + j] = map[i * dh + j] } }
        }
        let stacked = stacking
        let ownFactors = factors.map { $0.map(Float.init) }
        let column = heads.indices.map { folded ? $0 * dh : groups.firstIndex(of: heads[$0].valueGroup)! * dh }
        let rows = squaredNorms.count
        let blocks = (rows + screenRows - 1) / screenRows
        let workers = max(1, min(BLAS.threadCount == 1 ? blocks : 1, blocks))
        var amplification = [Float](repeating: 0, count: heads.count * rows)
        amplification.withUnsafeMutableBufferPointer { out in
            let shared = SharedFloats(out.baseAddress!)
            sources.view { x in
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var y = [Float](repeating: 0, count: screenRows * width)
                    var yl = [Float](repeating: 0, count: folded ? 0 : screenRows * dh)
                    for block in stride(from: worker, to: blocks, by: workers) {
                        let lo = block * screenRows
                        let m = min(screenRows, rows - lo)
                        BLAS.gemm(
                            m: m, n: width, k: d, a: x.base + lo * d, lda: d, b: stacked, ldb: width, c: &y,
                            ldc: width)
                        y.withUnsafeBufferPointer { yp in
                            yl.withUnsafeMutableBufferPointer { lp in
                                for h in heads.indices {
                                    // Row s of this head's `x·W_V·L` starts at `z + s·stride`.
                                    var z = yp.baseAddress! + column[h]
                                    var stride = width
                                    if !folded {
                                        BLAS.gemm(
                                            m: m, n: dh, k: dh, a: z, lda: width, b: ownFactors[h], ldb: dh,
                                            c: lp.baseAddress!, ldc: dh)
                                        z = UnsafePointer(lp.baseAddress!)
                                        stride = dh
                                    }
                                    for s in 0..<m {
                                        let norm = squaredNorms[lo + s]
                                        let outNorm = Double(LaneDot.dot(z + s * stride, z + s * stride, count: dh))
                                        shared.pointer[h * rows + lo + s] =
                                            norm > 0 ? Float((outNorm / norm).squareRoot()) : 0
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return amplification
    }

    /// `L` (row-major, lower triangular) with `L·Lᵀ = W_O·W_Oᵀ`, in double.
    /// The Gram matrix is positive semidefinite; a pivot at or below the
    /// rounding of its diagonal (a rank-deficient `W_O`, such as a planted
    /// head's) leaves its column of `L` zero.
    static func choleskyFactor(gramOf outputWeights: Matrix) -> [Double] {
        let n = outputWeights.rows
        let o = outputWeights.storage.map(Double.init)
        var g = [Double](repeating: 0, count: n * n)
        BLAS.gemm(
            transposeB: true, m: n, n: n, k: outputWeights.cols, a: o, lda: outputWeights.cols, b: o,
            ldb: outputWeights.cols, c: &g, ldc: n)
        let scale = (0..<n).map { g[$0 * n + $0] }.max() ?? 0
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var pivot = g[j * n + j]
            for k in 0..<j { pivot -= l[j * n + k] * l[j * n + k] }
            guard pivot > 1e-13 * scale else { continue }
            let root = pivot.squareRoot()
            l[j * n + j] = root
            for i in (j + 1)..<n {
                var v = g[i * n + j]
                for k in 0..<j { v -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = v / root
            }
        }
        return l
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
