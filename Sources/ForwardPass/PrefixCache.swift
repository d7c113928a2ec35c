import Checkpoint
import Core
import Foundation
import LinearAlgebra

/// Every prompt but its last token, run once: each layer's keys and values,
/// and the last position's residual entering each layer with nothing ablated.
/// An intervention at the last position changes nothing before it (the
/// attention is causal), so an ablation sweep recomputes only the last
/// position against this cache — one row per prompt instead of all of them —
/// and only from the lowest layer whose heads it zeroes: below it, the
/// residual is the clean one kept here.
public struct PrefixCache: Sendable {
    /// Per layer, `[prompt · position][q | k | v]` rows of the prefix.
    let qkv: [Matrix]
    /// Per layer and after the last, `[prompt][d_model]`: the last position's
    /// residual entering that layer with nothing ablated.
    let clean: [Matrix]
    public let prompts: Int
    /// Tokens before the last.
    public let prefixLength: Int
    public let lastTokens: [Int]
}

extension ForwardPass {
    /// Runs every prompt's tokens but the last and keeps their keys and
    /// values, then the last position with nothing ablated.
    public func prefix(_ batch: [[Int]]) throws -> PrefixCache {
        guard let length = batch.first?.count, length >= 2, batch.allSatisfy({ $0.count == length }) else {
            throw ForwardPassError.unevenBatch(lengths: batch.map(\.count))
        }
        var captured = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: weights.shape.layers)
        _ = try run(batch.map { Array($0.dropLast()) }, interventions: Interventions(), positions: nil) { layer, qkv in
            captured[layer] = qkv
        }
        let p = length - 1
        let lastTokens = batch.map { $0[p] }
        var x = weights.inputRows(tokens: lastTokens, positions: [Int](repeating: p, count: batch.count))
        var clean = [x]
        for layer in 0..<weights.shape.layers {
            try lastPosition(
                &x, layer: layer, qkv: captured[layer], prefixLength: p, prompts: batch.count, zeroed: [[]])
            clean.append(x)
        }
        return PrefixCache(qkv: captured, clean: clean, prompts: batch.count, prefixLength: p, lastTokens: lastTokens)
    }

    /// The logits after each prompt (at its last position) with `zeroed`
    /// heads' output at that position set to 0: the same as `run` with
    /// `zeroedAt` the last position, at the cost of one row per prompt.
    public func lastLogits(_ cache: PrefixCache, zeroed: Set<HeadIndex> = []) throws -> Matrix {
        try lastLogits(cache, zeroedSets: [zeroed])
    }

    /// The same for several sets of zeroed heads in one pass, rows
    /// `set · prompts + prompt`. A set's rows are the clean residual below
    /// its lowest zeroed layer, and an earlier set's (a subset of it) below
    /// the lowest layer where the two differ: they are computed only from
    /// there, from that residual, and every set's rows of one layer are one
    /// product. An ablation sweep's steps, each one head more than the last,
    /// so share every layer below each added head.
    public func lastLogits(_ cache: PrefixCache, zeroedSets: [Set<HeadIndex>]) throws -> Matrix {
        logits(try lastResiduals(cache, zeroedSets: zeroedSets))
    }

    /// Each row's most likely next token (the first of equal logits) for
    /// `lastLogits`'s rows, the logits made and read in chunks of
    /// `rowsPerChunk` rows: a sweep of many steps never holds all of them.
    ///
    /// Where the logits are the unembedding's product alone (no `lm_head`
    /// bias, no final soft cap), the first set's rows are the anchors: their
    /// logits are made whole, and another set's row is decided from its
    /// prompt's anchor when a bound proves its argmax (`ArgmaxScreen`); the
    /// rows it cannot decide are made whole. Either way the answer is the
    /// argmax of `logits`, bit for bit.
    /// - Parameter vocabularyBlock: how many tokens' logits one product makes
    ///   (the unembedding's row blocks, as `logits` makes them): each block is
    ///   read for its largest while it is still in cache, and never written out whole.
    public func lastArgmax(
        _ cache: PrefixCache, zeroedSets: [Set<HeadIndex>], rowsPerChunk: Int = 1024,
        vocabularyBlock: Int = Products.rowBlock
    ) throws -> [Int] {
        try lastArgmaxCountingScreen(
            cache, zeroedSets: zeroedSets, rowsPerChunk: rowsPerChunk, vocabularyBlock: vocabularyBlock
        ).tokens
    }

    /// The same, with how many rows the bound decided without their logits.
    public func lastArgmaxCountingScreen(
        _ cache: PrefixCache, zeroedSets: [Set<HeadIndex>], rowsPerChunk: Int = 1024,
        vocabularyBlock: Int = Products.rowBlock
    ) throws -> (tokens: [Int], screened: Int) {
        let normed = weights.finalNorm.apply(to: try lastResiduals(cache, zeroedSets: zeroedSets))
        let n = cache.prompts
        guard zeroedSets.count > 1, weights.unembeddingBias.isEmpty, weights.finalSoftcap == nil else {
            return (argmaxInChunks(normed, rows: Array(0..<normed.rows), rowsPerChunk, vocabularyBlock), 0)
        }
        let anchors = unembed(normed.gatherRows(Array(0..<n)))
        let anchorArgmax = ForwardPass.firstLargestOfEachRow(anchors)
        var best = anchorArgmax + [Int](repeating: 0, count: normed.rows - n)
        let decided = weights.unembedding.withMatrix {
            ArgmaxScreen(unembedding: $0).decide(
                normed: normed, anchors: anchors, anchorArgmax: anchorArgmax, prompts: n)
        }
        var undecided: [Int] = []
        for r in n..<normed.rows {
            if let token = decided[r - n] { best[r] = token } else { undecided.append(r) }
        }
        let rest = argmaxInChunks(normed, rows: undecided, rowsPerChunk, vocabularyBlock)
        for (r, token) in zip(undecided, rest) { best[r] = token }
        return (best, normed.rows - n - undecided.count)
    }

    /// The argmax of `rows` of `normed`, their logits made `rowsPerChunk` rows at a time.
    private func argmaxInChunks(_ normed: Matrix, rows: [Int], _ rowsPerChunk: Int, _ vocabularyBlock: Int) -> [Int] {
        stride(from: 0, to: rows.count, by: rowsPerChunk).flatMap { first in
            argmaxOfNormed(
                normed.gatherRows(Array(rows[first..<min(rows.count, first + rowsPerChunk)])),
                vocabularyBlock: vocabularyBlock)
        }
    }

    /// The first largest logit of each row after the final norm, from the
    /// logits of one vocabulary block at a time: each block's products are
    /// those `logits` makes, so the result is its argmax, bit for bit.
    private func argmaxOfNormed(_ normed: Matrix, vocabularyBlock: Int) -> [Int] {
        guard BLAS.threadCount == 1 else {
            // One multithreaded product, as `logits` makes it then.
            var all = unembed(normed)
            finishLogits(&all)
            return ForwardPass.firstLargestOfEachRow(all)
        }
        let vocab = weights.shape.vocab
        let d = normed.cols
        let m = normed.rows
        let blocks = (vocab + vocabularyBlock - 1) / vocabularyBlock
        // Each block's largest value and its first index, per row.
        var largest = [Float](repeating: -.infinity, count: blocks * m)
        var position = [Int](repeating: 0, count: blocks * m)
        largest.withUnsafeMutableBufferPointer { lp in
            position.withUnsafeMutableBufferPointer { pp in
                let values = SharedFloats(lp.baseAddress!)
                let positions = SharedInts(pp.baseAddress!)
                normed.view { a in
                    weights.unembedding.withMatrix { u in
                        DispatchQueue.concurrentPerform(iterations: blocks) { i in
                            let lo = i * vocabularyBlock
                            let n = min(vocabularyBlock, vocab - lo)
                            // Every value is written by the product (β = 0): the block starts unwritten.
                            _ = [Float](unsafeUninitializedCapacity: m * n) { cp, written in
                                BLAS.gemm(
                                    transposeB: true, m: m, n: n, k: d, a: a.base, lda: d, b: u.base + lo * d,
                                    ldb: d, c: cp.baseAddress!, ldc: n)
                                for r in 0..<m {
                                    let row = cp.baseAddress! + r * n
                                    finishLogits(row, tokens: lo..<(lo + n))
                                    let first = ForwardPass.firstLargest(UnsafeBufferPointer(start: row, count: n))
                                    values.pointer[i * m + r] = row[first]
                                    positions.pointer[i * m + r] = lo + first
                                }
                                written = m * n
                            }
                        }
                    }
                }
            }
        }
        // The earliest block holding the largest value: the first largest of the whole row.
        return (0..<m).map { r in
            var best = 0
            for i in 1..<blocks where largest[i * m + r] > largest[best * m + r] { best = i }
            return position[best * m + r]
        }
    }

    /// `firstLargest` of each row of a matrix of logits.
    static func firstLargestOfEachRow(_ logits: Matrix) -> [Int] {
        logits.storage.withUnsafeBufferPointer { l in
            (0..<logits.rows).map { r in
                firstLargest(UnsafeBufferPointer(rebasing: l[(r * logits.cols)..<((r + 1) * logits.cols)]))
            }
        }
    }

    /// The index of the first largest value: the largest found with wide
    /// comparisons, then its first position.
    static func firstLargest(_ row: UnsafeBufferPointer<Float>) -> Int {
        var lanes = SIMD16<Float>(repeating: -.infinity)
        var c = 0
        while c + 16 <= row.count {
            lanes = pointwiseMax(
                lanes, UnsafeRawPointer(row.baseAddress! + c).loadUnaligned(as: SIMD16<Float>.self))
            c += 16
        }
        var largest = lanes.max()
        while c < row.count {
            largest = max(largest, row[c])
            c += 1
        }
        // Its first position: the first 16 holding it, then within them.
        var start = 0
        let wanted = SIMD16<Float>(repeating: largest)
        while start + 16 <= row.count,
            !any(UnsafeRawPointer(row.baseAddress! + start).loadUnaligned(as: SIMD16<Float>.self) .== wanted)
        {
            start += 16
        }
        return row[start...].firstIndex { $0 == largest } ?? 0
    }

    /// The last position's residual after the last block, rows `set · prompts + prompt`.
    func lastResiduals(_ cache: PrefixCache, zeroedSets: [Set<HeadIndex>]) throws -> Matrix {
        let shape = weights.shape
        let layers = shape.layers
        for zeroed in zeroedSets {
            for index in zeroed where index.layer >= layers || index.head >= shape.heads {
                throw ForwardPassError.headOutsideModel(head: index, layers: layers, heads: shape.heads)
            }
        }
        func lowestLayer(_ heads: Set<HeadIndex>) -> Int { heads.map(\.layer).min() ?? layers }
        // Where each set's rows start, and from whose residual (nil: the clean one).
        var origin = [Int?](repeating: nil, count: zeroedSets.count)
        var start = zeroedSets.map(lowestLayer)
        for (i, set) in zeroedSets.enumerated() {
            for j in 0..<i where zeroedSets[j].isSubset(of: set) {
                let differ = lowestLayer(set.subtracting(zeroedSets[j]))
                if differ > start[i] { (origin[i], start[i]) = (j, differ) }
            }
        }
        var residual: [Int: Matrix] = [:]
        func entering(_ i: Int, _ layer: Int) -> Matrix {
            residual[i] ?? origin[i].map { entering($0, layer) } ?? cache.clean[layer]
        }
        let n = cache.prompts
        for layer in 0..<layers {
            for i in zeroedSets.indices where start[i] == layer { residual[i] = entering(i, layer) }
            let active = zeroedSets.indices.filter { start[$0] <= layer }
            guard !active.isEmpty else { continue }
            var x = Matrix(rows: active.count * n, cols: shape.dModel)
            for (a, i) in active.enumerated() { x.setRows(a * n, from: residual[i]!) }
            try lastPosition(
                &x, layer: layer, qkv: cache.qkv[layer], prefixLength: cache.prefixLength, prompts: n,
                zeroed: active.map { zeroedSets[$0] })
            for (a, i) in active.enumerated() { residual[i] = x.gatherRows(Array(a * n..<(a + 1) * n)) }
        }
        var final = Matrix(rows: zeroedSets.count * n, cols: shape.dModel)
        for i in zeroedSets.indices { final.setRows(i * n, from: entering(i, layers)) }
        return final
    }

    /// One block at the last position of every prompt, against the prefix's
    /// keys and values: rows `group · prompts + prompt`, group `g`'s heads in
    /// `zeroed[g]` giving nothing there.
    func lastPosition(
        _ x: inout Matrix, layer: Int, qkv past: Matrix, prefixLength p: Int, prompts n: Int, zeroed: [Set<HeadIndex>]
    ) throws {
        let shape = weights.shape
        let dh = shape.dHead
        let block = try block(layer)
        let rows = x.rows
        let positions = [Int](repeating: p, count: rows)
        let qkv = queryKeyValue(x, block: block, positions: positions)
        let live = zeroed.map { zeroed in
            (0..<shape.heads).filter { !zeroed.contains(HeadIndex(layer: layer, head: $0)) }
        }
        let keyOffset = weights.keyOffset
        let valueOffset = weights.valueOffset
        let width = weights.queryKeyValueWidth
        let zWidth = weights.queryWidth
        let weights = self.weights
        // Keys: the prefix's (within the sliding window), then the last position's own.
        let first = block.attention.slidingWindow.map { max(0, p - $0 + 1) } ?? 0
        var z = Matrix(rows: rows, cols: zWidth)
        z.storage.withUnsafeMutableBufferPointer { zp in
            let out = SharedFloats(zp.baseAddress!)
            qkv.view { current in
                (p > 0 ? past : qkv).view { prefix in
                    // Rows on every core; each writes only its own row of z.
                    DispatchQueue.concurrentPerform(iterations: rows) { r in
                        let b = r % n
                        let own = current.base + r * width
                        let row = { (k: Int) in k < p ? prefix.base + (b * p + k) * width : own }
                        var scores = [Float](repeating: 0, count: p + 1)
                        for head in live[r / n] {
                            let group = shape.valueGroup(ofHead: head)
                            scores.withUnsafeMutableBufferPointer { w in
                                ForwardPass.attentionWeights(
                                    weights, query: own + head * dh, key: { row($0) + keyOffset + group * dh },
                                    keys: first...p, into: w.baseAddress!)
                            }
                            let target = out.pointer + r * zWidth + head * dh
                            for k in first...p {
                                let a = scores[k]
                                let value = row(k) + valueOffset + group * dh
                                for j in 0..<dh { target[j] += a * value[j] }
                            }
                        }
                    }
                }
            }
        }
        finishBlock(&x, z: z, block: block)
    }
}
