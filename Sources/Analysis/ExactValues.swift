import Checkpoint
import LinearAlgebra

/// The values a person reads — a head's amplifications and mapping logits,
/// a pair's top predictions — recomputed in double precision
/// for the few tokens that the float32 products single out.
///
/// Why: OpenBLAS picks its float32 kernels by CPU, and kernels sum in
/// different orders, so one value computed in float32 differs between
/// machines in its last bits, and values equal in exact arithmetic (a planted
/// fixture makes many) come out a few ulps apart in an order that follows the
/// noise. The rule, in one place:
/// 1. float32 screens: every candidate whose float32 value lies within
///    `screeningMargin` of the largest magnitude below the n-th best is kept
///    (the float32 error of these products is under 10⁻⁵ of that magnitude,
///    a hundredth of the margin);
/// 2. the candidates are recomputed in double from the checkpoint's weights,
///    erring by about `k · 2⁻⁵³` of their magnitudes (k the longest sum,
///    at most 10⁻¹¹ for any model's width);
/// 3. values within `tieTolerance` of one another are ties, ordered by token
///    id; values are written as float32 (the shortest text that reads back to
///    the same float32), whose precision, 2⁻²⁴, is a thousand times coarser
///    than the tie tolerance and 10⁵ times coarser than the double error, so
///    every machine writes the same digits.
public enum ExactValues {
    /// Float32 candidates within this fraction of the largest magnitude of
    /// the n-th best value are recomputed in double.
    public static let screeningMargin: Float = 1e-3
    /// Double values within this fraction of the larger magnitude are one value.
    public static let tieTolerance = 1e-10
    /// At most this many candidates past the n-th are refined when values
    /// crowd within the margin (a head that maps everything alike).
    static let extraCandidates = 1024

    /// The indices of `0..<count` whose float32 value may be among the `n`
    /// best once computed exactly: the `n` best and every one within the
    /// screening margin of the n-th, best first.
    static func candidates(_ count: Int, _ n: Int, extra: Int = extraCandidates, _ value: (Int) -> Float) -> [Int] {
        guard n > 0, count > 0 else { return [] }
        let top = SalientOperations.best(count, min(n, count)) { Double(value($0)) }
        let nth = value(top.last!)
        let scale = max(abs(value(top[0])), abs(nth))
        let threshold = nth - screeningMargin * scale
        // The best are above the threshold too: the few values past it are
        // gathered in one pass, and the best taken out of them.
        var near: [(Int, Float)] = []
        for i in 0..<count {
            let v = value(i)
            if v >= threshold { near.append((i, v)) }
        }
        let chosen = Set(top)
        near.removeAll { chosen.contains($0.0) }
        near.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return top + near.prefix(extra).map(\.0)
    }

    /// One operation of a head, exactly: a source token, its amplification
    /// `‖x·W_V·W_O‖ / ‖x‖` and its output `x·W_V·W_O` in double.
    struct ExactOperation: Sendable {
        let id: Int
        let amplification: Double
        let output: [Double]
    }

    /// The `count` best of `candidates` by their amplification in double,
    /// best first, ties by token id.
    /// - Parameter exactSources: the candidates' sources in double precision, row-major.
    static func chooseOperations(
        candidates: [Int], exactSources x: [Double], ov: HeadOV, count: Int
    ) -> [ExactOperation] {
        let d = ov.valueWeights.rows
        let out = headOutputs(x, rows: candidates.count, ov: ov)
        func norm(_ v: [Double], _ i: Int) -> Double {
            v[(i * d)..<((i + 1) * d)].reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        let amplification = candidates.indices.map { i in
            (id: candidates[i], value: norm(x, i) > 0 ? norm(out, i) / norm(x, i) : 0)
        }
        let slot = Dictionary(uniqueKeysWithValues: candidates.enumerated().map { ($1, $0) })
        return ordered(amplification, n: count).map { chosen in
            let i = slot[chosen.id]!
            return ExactOperation(
                id: chosen.id, amplification: chosen.value, output: Array(out[(i * d)..<((i + 1) * d)]))
        }
    }

    /// The `n` best of `values` (id, exact value), best first; values within
    /// the tie tolerance of the best value of their group are ties, ordered by id.
    static func ordered(_ values: [(id: Int, value: Double)], n: Int) -> [(id: Int, value: Double)] {
        let sorted = values.sorted { $0.value != $1.value ? $0.value > $1.value : $0.id < $1.id }
        var out: [(id: Int, value: Double)] = []
        var group: [(id: Int, value: Double)] = []
        func flush() {
            out += group.sorted { $0.id < $1.id }
            group = []
        }
        for v in sorted {
            if let lead = group.first, !tied(lead.value, v.value) { flush() }
            if out.count >= n { break }
            group.append(v)
        }
        flush()
        return Array(out.prefix(n))
    }

    static func tied(_ a: Double, _ b: Double) -> Bool {
        abs(a - b) <= tieTolerance * max(abs(a), abs(b))
    }

    /// `x · W_V · W_O` in double for each row of `x` (`[rows, d_model]`).
    static func headOutputs(_ x: [Double], rows: Int, ov: HeadOV) -> [Double] {
        let d = ov.valueWeights.rows
        let dh = ov.valueWeights.cols
        let wv = ov.valueWeights.storage.map(Double.init)
        let wo = ov.outputWeights.storage.map(Double.init)
        var v = [Double](repeating: 0, count: rows * dh)
        var out = [Double](repeating: 0, count: rows * d)
        BLAS.gemm(m: rows, n: dh, k: d, a: x, lda: d, b: wv, ldb: dh, c: &v, ldc: dh)
        BLAS.gemm(m: rows, n: d, k: dh, a: v, lda: dh, b: wo, ldb: d, c: &out, ldc: d)
        return out
    }

    /// `out · W_U[:, t]` in double for each token `t`.
    static func logits(of out: ArraySlice<Double>, tokens: [Int], model: TransformerWeights) -> [Double] {
        let rows = model.unembedding.gatherRows(tokens)
        let d = rows.cols
        let base = out.startIndex
        return tokens.indices.map { i in
            var sum = 0.0
            for j in 0..<d { sum += out[base + j] * Double(rows.storage[i * d + j]) }
            return sum
        }
    }

    /// The `n` best logits of one float32 row (`row[t]` for `t < tokens`),
    /// refined in double from the head's exact output `out`.
    static func topLogits(
        row: (Int) -> Float, tokens: Int, n: Int, out: ArraySlice<Double>,
        model: TransformerWeights
    ) -> [(id: Int, value: Double)] {
        let ids = candidates(tokens, n, row)
        return ordered(
            Array(zip(ids, logits(of: out, tokens: ids, model: model))).map { (id: $0.0, value: $0.1) }, n: n)
    }
}

/// Source representations in double precision for the tokens asked for,
/// each computed once (every layer that reads block 0's MLP reads the same
/// rows; `SalientOperations.everyHead` keeps one of these for the model).
public final class ExactSources {
    let model: TransformerWeights
    let rule: SourceRule
    private var embedding: [Int: [Double]] = [:]
    private var afterFirstMLP: [Int: [Double]] = [:]

    public init(model: TransformerWeights, rule: SourceRule) {
        self.model = model
        self.rule = rule
    }

    /// The rows of `tokens` as layer `layer` reads them, row-major `[tokens, d_model]`.
    func rows(_ tokens: [Int], layer: Int) -> [Double] {
        let mlp = rule.readsMLP(layer: layer)
        let missing = Array(Set(tokens.filter { (mlp ? afterFirstMLP[$0] : embedding[$0]) == nil })).sorted()
        if !missing.isEmpty {
            let d = model.shape.dModel
            let raw = model.embedding.gatherRows(missing)
            let scale = Double(model.embeddingScale)
            let x = raw.storage.map { Double($0) * scale }
            let computed = mlp ? ExactSources.firstMLP(model.firstMLP, x, rows: missing.count) : x
            for (i, t) in missing.enumerated() {
                let row = Array(computed[(i * d)..<((i + 1) * d)])
                if mlp { afterFirstMLP[t] = row } else { embedding[t] = row }
            }
        }
        return tokens.flatMap { mlp ? afterFirstMLP[$0]! : embedding[$0]! }
    }

    /// The rows each worker puts through block 0's MLP at a time: fixed, so
    /// that a row's products are the same whatever the number of cores.
    static let rowsPerWorker = 128

    /// `mlp.applyInDouble` on blocks of rows on every core (with one-thread
    /// BLAS; rows are independent).
    private static func firstMLP(_ mlp: FirstMLP, _ x: [Double], rows: Int) -> [Double] {
        let d = x.count / max(rows, 1)
        let blocks = (rows + rowsPerWorker - 1) / rowsPerWorker
        guard BLAS.threadCount == 1, blocks > 1 else { return mlp.applyInDouble(to: x, rows: rows) }
        return onEveryCore(blocks, workers: blocks) { b in
            let lo = b * rowsPerWorker
            let m = min(rowsPerWorker, rows - lo)
            return mlp.applyInDouble(to: Array(x[(lo * d)..<((lo + m) * d)]), rows: m)
        }.flatMap { $0 }
    }
}
