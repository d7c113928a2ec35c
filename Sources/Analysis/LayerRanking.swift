import Checkpoint
import Dispatch
import Foundation
import LinearAlgebra

/// Where each row's target ranks among the logits of every head of one layer,
/// decided exactly without building any `[rows, vocab]` logit matrix.
///
/// A row is a hit when fewer than `k` other vocabulary tokens have a logit at
/// least as large as its target's (suppression: at most as large). Ties count
/// against the target: a head that gives a source the same logit everywhere
/// tells nothing about it and must not score it. (For real-valued weights ties
/// are a measure-zero event; they happen in exactly sparse weights.)
///
/// The vocabulary is visited block by block; a row whose counts reach `k` on
/// both sides is decided and stops costing anything. For most heads almost
/// every row is decided in the first block, so the work is organised per
/// layer to keep every product large:
/// - first block: `W_O · W_U[:, block]` for all heads at once (one GEMM with
///   `heads · d_head` rows), then `(x·W_V)_h · P_h` per head;
/// - later blocks: heads with many undecided rows share one stacked
///   `W_O · W_U[:, block]`; the few rows left of all other heads leave the
///   layer for `PendingRows`, which finishes the rows of every layer together
///   with one `((x·W_V)·W_O) · W_U[:, block]` per block, so each block of the
///   unembedding is read once for the whole model, not once per head.
/// Large products are split into fixed column chunks shared out to the
/// workers, each a one-thread BLAS call: every logit is computed the same way
/// whatever the thread count.
struct LayerRanking {
    struct HeadOutcome {
        var relationHit: [Bool]
        var suppressionHit: [Bool]
        /// Blocks computed before each row was decided; `nil` when it never was.
        var blocksUntilDecided: [Int?]
        /// Rows handed to `PendingRows`: their outcome is decided there.
        var deferred: [Bool]
        /// Whether the head's own `W_O · W_U[:, block]` was computed past the
        /// first block: a hard head, on the dense route.
        var dense = false
    }

    struct Outcome {
        var heads: [HeadOutcome]
        var flops: Double
        /// Time inside matrix products, summed over workers.
        var denseSeconds: Double
    }

    let unembedding: MatrixView
    let blocks: VocabularyBlocks
    let workers: Int
    /// `max_t ‖W_U[:, t]‖`, the scale of every row's tie margin.
    let largestUnembeddingNorm: Double

    /// Accumulates dense time and flops across workers.
    final class Meter: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var seconds = 0.0
        private(set) var flops = 0.0
        func gemm(
            transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
            b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            guard m > 0, n > 0 else { return }
            let clock = ContinuousClock()
            let start = clock.now
            BLAS.gemm(transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
            let elapsed = (clock.now - start).seconds
            lock.lock()
            seconds += elapsed
            flops += 2 * Double(m) * Double(n) * Double(k)
            lock.unlock()
        }
    }

    func parallel(_ count: Int, _ body: (Int) -> Void) {
        parallelWithWorker(count) { _, i in body(i) }
    }

    /// Like `parallel`, telling the body which worker runs it (for scratch space).
    /// The bodies write to disjoint parts of shared buffers (item `i` owns its
    /// rows, worker `w` its scratch); that contract, not the type system,
    /// makes the concurrent calls safe, hence the unchecked wrapper.
    func parallelWithWorker(_ count: Int, _ body: (_ worker: Int, _ item: Int) -> Void) {
        let w = max(1, min(workers, count))
        withoutActuallyEscaping(body) { body in
            let shared = ConcurrentBody(call: body)
            DispatchQueue.concurrentPerform(iterations: w) { worker in
                for i in stride(from: worker, to: count, by: w) { shared.call(worker, i) }
            }
        }
    }

    private struct ConcurrentBody: @unchecked Sendable {
        let call: (Int, Int) -> Void
    }

    /// One reusable buffer per worker: large fresh allocations each cost a
    /// page fault per 4 KB, which showed up as a tenth of the scoring time.
    final class Scratch: @unchecked Sendable {
        private var buffers: [UnsafeMutablePointer<Float>]
        let capacity: Int
        init(workers: Int, capacity: Int) {
            self.capacity = capacity
            buffers = (0..<workers).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1)) }
        }
        deinit { buffers.forEach { $0.deallocate() } }
        subscript(worker: Int) -> UnsafeMutablePointer<Float> { buffers[worker] }
    }

    /// `C[m × width] = A[m × d] · blockᵀ` in fixed column chunks (`ScoringSettings.productChunkColumns`) shared out
    /// to the workers: the chunks, and so every rounding, are the same
    /// whatever the number of threads.
    func timesBlock(
        _ a: UnsafePointer<Float>, rows m: Int, block: MatrixView, into c: UnsafeMutablePointer<Float>, meter: Meter
    ) {
        let width = block.rows
        let d = block.cols
        let step = ScoringSettings.productChunkColumns
        let chunks = (width + step - 1) / step
        parallel(chunks) { i in
            let lo = i * step
            let hi = min(width, lo + step)
            meter.gemm(
                transposeB: true, m: m, n: hi - lo, k: d, a: a, lda: d, b: block.base + lo * d, ldb: d, c: c + lo,
                ldc: width)
        }
    }

    func rank(heads: [HeadOV], sources: Matrix, targets: [Int], k: [Int], layer: Int, pending: PendingRows) -> Outcome {
        let n = sources.rows
        let d = sources.cols
        let dh = heads[0].valueWeights.cols
        let meter = Meter()

        // Per KV head: x·W_V [n, dh], shared by the query heads that read it
        // (grouped-query attention); per head: (x·W_V)·W_O [n, d], the target logits.
        let groups = Array(Set(heads.map(\.valueGroup))).sorted()
        let firstOfGroup = Dictionary(
            groups.map { g in (g, heads.firstIndex { $0.valueGroup == g }!) }, uniquingKeysWith: { a, _ in a })
        var values = [Int: Matrix]()
        let lock = NSLock()
        parallel(groups.count) { slot in
            let group = groups[slot]
            var ag = Matrix(rows: n, cols: dh)
            sources.view { x in
                heads[firstOfGroup[group]!].valueWeights.view { wv in
                    ag.storage.withUnsafeMutableBufferPointer { out in
                        meter.gemm(
                            transposeB: false, m: n, n: dh, k: d, a: x.base, lda: d, b: wv.base, ldb: dh,
                            c: out.baseAddress!, ldc: dh)
                    }
                }
            }
            lock.lock()
            values[group] = ag
            lock.unlock()
        }
        var outcome = rank(
            heads: heads, values: heads.map { values[$0.valueGroup]! }, targets: targets, k: k, layer: layer,
            pending: pending)
        outcome.flops += meter.flops
        outcome.denseSeconds += meter.seconds
        return outcome
    }

    /// The same from each head's `x·W_V` rows (`values[h]`, `[rows, d_head]`)
    /// given directly: the dynamic scores rank a head's own `z` rows, which
    /// differ from head to head.
    func rank(
        heads: [HeadOV], values a: [Matrix], targets: [Int], k: [Int], layer: Int, pending: PendingRows
    ) -> Outcome {
        let h = heads.count
        let n = a[0].rows
        let d = unembedding.cols
        let dh = heads[0].outputWeights.rows
        let meter = Meter()
        let lock = NSLock()
        // Target logits as `a · (W_O · u_target)`, the association the block
        // products use, without a `[rows, d_model]` matrix per head (on
        // Llama-3.1-8B those would hold 0.7 GB per layer).
        let targetRows = unembedding.gatherRows(targets)
        var targetLogit = [[Float]](repeating: [], count: h)
        var margin = [[Float]](repeating: [], count: h)
        parallel(h) { head in
            var projected = [Float](repeating: 0, count: n * dh)
            targetRows.view { u in
                heads[head].outputWeights.view { wo in
                    projected.withUnsafeMutableBufferPointer { out in
                        meter.gemm(
                            transposeB: true, m: n, n: dh, k: d, a: u.base, lda: d, b: wo.base, ldb: d,
                            c: out.baseAddress!, ldc: dh)
                    }
                }
            }
            var t = [Float](repeating: 0, count: n)
            a[head].storage.withUnsafeBufferPointer { av in
                projected.withUnsafeBufferPointer { p in
                    for i in 0..<n { t[i] = BLAS.dot(av.baseAddress! + i * dh, p.baseAddress! + i * dh, count: dh) }
                }
            }
            let m = LayerRanking.tieMargins(
                a[head], outputWeights: heads[head].outputWeights, largestUnembeddingNorm: largestUnembeddingNorm)
            lock.lock()
            targetLogit[head] = t
            margin[head] = m
            lock.unlock()
        }
        // All heads' W_O stacked: [heads · dh, d].
        let outputStack = Matrix(rows: h * dh, cols: d, storage: heads.flatMap(\.outputWeights.storage))

        var above = [[Int]](repeating: [Int](repeating: 0, count: n), count: h)
        var below = above
        var until = [[Int?]](repeating: [Int?](repeating: nil, count: n), count: h)
        var active = [[Int]](repeating: Array(0..<n), count: h)
        var deferred = [[Bool]](repeating: [Bool](repeating: false, count: n), count: h)
        var denseHeads = Set<Int>()
        let maxWidth = blocks.blocks.map(\.count).max() ?? 0
        var projected = LayerRanking.uninitialized(h * dh * maxWidth)
        let scratch = Scratch(workers: max(1, workers), capacity: n * maxWidth)

        func count(_ row: UnsafePointer<Float>, width: Int, block: Range<Int>, head: Int, i: Int) -> (Int, Int) {
            LayerRanking.countRow(
                row, width: width, block: block, target: targets[i], targetLogit: targetLogit[head][i],
                margin: margin[head][i])
        }

        for (blockNumber, block) in blocks.blocks.enumerated() {
            let live = (0..<h).filter { !active[$0].isEmpty }
            if live.isEmpty { break }
            let width = block.count
            let vocabBlock = unembedding.rows(block)
            // The shared product pays dh·d per column once for the head; the
            // row product pays d per column for every row.
            let shared = live.filter { dh * d + active[$0].count * dh < active[$0].count * d }
            let rowwise = live.filter { !shared.contains($0) }
            if blockNumber > 0 { denseHeads.formUnion(shared) }
            var counts = [[(Int, Int)]](repeating: [(Int, Int)](), count: h)

            if !shared.isEmpty {
                let stack =
                    shared.count == h
                    ? outputStack
                    : Matrix(
                        rows: shared.count * dh, cols: d, storage: shared.flatMap { heads[$0].outputWeights.storage })
                projected.withUnsafeMutableBufferPointer { p in
                    stack.view { s in
                        timesBlock(
                            s.base, rows: shared.count * dh, block: vocabBlock, into: p.baseAddress!, meter: meter)
                    }
                }
                projected.withUnsafeBufferPointer { p in
                    parallelWithWorker(shared.count) { worker, slot in
                        let head = shared[slot]
                        let rows = active[head]
                        let input = rows.count == n ? a[head] : a[head].gatherRows(rows)
                        let logits = scratch[worker]
                        input.view { x in
                            meter.gemm(
                                transposeB: false, m: rows.count, n: width, k: dh, a: x.base, lda: dh,
                                b: p.baseAddress! + slot * dh * width, ldb: width, c: logits, ldc: width)
                        }
                        let result = rows.enumerated().map { r, i in
                            count(logits + r * width, width: width, block: block, head: head, i: i)
                        }
                        lock.lock()
                        counts[head] = result
                        lock.unlock()
                    }
                }
            }

            // Few rows left: they continue with the rows of every other layer,
            // as `(x·W_V)·W_O` rows.
            for head in rowwise {
                let rows = active[head]
                var vectors = LayerRanking.uninitialized(rows.count * d)
                a[head].gatherRows(rows).view { x in
                    heads[head].outputWeights.view { wo in
                        vectors.withUnsafeMutableBufferPointer { out in
                            meter.gemm(
                                transposeB: false, m: rows.count, n: d, k: dh, a: x.base, lda: dh, b: wo.base, ldb: d,
                                c: out.baseAddress!, ldc: d)
                        }
                    }
                }
                vectors.withUnsafeBufferPointer { v in
                    for (r, i) in rows.enumerated() {
                        pending.append(
                            vector: v.baseAddress! + r * d, count: d, targetLogit: targetLogit[head][i],
                            margin: margin[head][i],
                            target: targets[i],
                            k: k[i], above: above[head][i], below: below[head][i], nextBlock: blockNumber,
                            owner: PendingRows.Owner(layer: layer, head: head, row: i))
                        deferred[head][i] = true
                    }
                }
                active[head] = []
            }

            for head in shared {
                for (r, i) in active[head].enumerated() {
                    above[head][i] += counts[head][r].0
                    below[head][i] += counts[head][r].1
                }
                active[head].removeAll { i in
                    let decided = above[head][i] >= k[i] && below[head][i] >= k[i]
                    if decided { until[head][i] = blockNumber + 1 }
                    return decided
                }
            }
        }
        let outcomes = (0..<h).map { head in
            HeadOutcome(
                relationHit: (0..<n).map { above[head][$0] < k[$0] },
                suppressionHit: (0..<n).map { below[head][$0] < k[$0] },
                blocksUntilDecided: until[head], deferred: deferred[head], dense: denseHeads.contains(head))
        }
        return Outcome(heads: outcomes, flops: meter.flops, denseSeconds: meter.seconds)
    }

    /// Each row's tie margin (`ScoringSettings.tieMargin`), from
    /// `‖a·W_O‖² = a·(W_O·W_Oᵀ)·aᵀ` for the rows `a` of `[rows, d_head]`.
    static func tieMargins(_ a: Matrix, outputWeights: Matrix, largestUnembeddingNorm: Double) -> [Float] {
        let dh = a.cols
        var gram = [Float](repeating: 0, count: dh * dh)
        outputWeights.view { o in
            gram.withUnsafeMutableBufferPointer { Products.multiplyTransposed(o, o, into: $0.baseAddress!) }
        }
        var ag = [Float](repeating: 0, count: a.rows * dh)
        a.view { x in
            ag.withUnsafeMutableBufferPointer { out in
                BLAS.gemm(m: a.rows, n: dh, k: dh, a: x.base, lda: dh, b: gram, ldb: dh, c: out.baseAddress!, ldc: dh)
            }
        }
        return (0..<a.rows).map { i in
            var squared = 0.0
            for p in 0..<dh { squared += Double(a.storage[i * dh + p]) * Double(ag[i * dh + p]) }
            return ScoringSettings.tieMargin(
                outputNorm: max(0, squared).squareRoot(), largestUnembeddingNorm: largestUnembeddingNorm)
        }
    }

    /// How many other tokens of `block` have a logit at least as large, and at
    /// most as large, as the target's, from one computed row of logits;
    /// logits within `margin` of the target's are ties and count on both sides.
    static func countRow(
        _ row: UnsafePointer<Float>, width: Int, block: Range<Int>, target: Int, targetLogit t: Float,
        margin: Float
    ) -> (Int, Int) {
        var (larger, smaller) = countAtLeastAndAtMost(row, width: width, atLeast: t - margin, atMost: t + margin)
        // The target's own column, recomputed here, is within the margin of
        // the separately computed target logit, so it counted on both sides.
        if block.contains(target) {
            let v = row[target - block.lowerBound]
            if v >= t - margin { larger -= 1 }
            if v <= t + margin { smaller -= 1 }
        }
        return (larger, smaller)
    }

    /// How many of `width` values are ≥ `low` and ≤ `high`, sixteen at a time.
    @inline(__always)
    static func countAtLeastAndAtMost(
        _ row: UnsafePointer<Float>, width: Int, atLeast low: Float, atMost high: Float
    ) -> (Int, Int) {
        let raw = UnsafeRawPointer(row)
        let lv = SIMD16<Float>(repeating: low)
        let hv = SIMD16<Float>(repeating: high)
        let one = SIMD16<Int32>(repeating: 1)
        let zero = SIMD16<Int32>()
        var atLeast = SIMD16<Int32>()
        var atMost = SIMD16<Int32>()
        var j = 0
        while j + 16 <= width {
            let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD16<Float>.self)
            atLeast &+= zero.replacing(with: one, where: v .>= lv)
            atMost &+= zero.replacing(with: one, where: v .<= hv)
            j += 16
        }
        var larger = Int(atLeast.wrappedSum())
        var smaller = Int(atMost.wrappedSum())
        while j < width {
            larger += row[j] >= low ? 1 : 0
            smaller += row[j] <= high ? 1 : 0
            j += 1
        }
        return (larger, smaller)
    }

    /// A buffer a product is about to overwrite: no need to zero it first.
    static func uninitialized(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
