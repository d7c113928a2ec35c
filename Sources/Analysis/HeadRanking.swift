import Checkpoint
import Foundation
import LinearAlgebra

/// Where each row's target ranks among one head's logits, decided exactly
/// without building the `[rows, vocab]` logit matrix.
///
/// A row is a hit when fewer than `k` other vocabulary tokens have a logit at
/// least as large as its target's (suppression: at most as large). Ties count
/// against the target: a head that gives a source the same logit everywhere
/// tells nothing about it and must not score it. (For real-valued weights
/// ties are a measure-zero event; they happen in exactly sparse weights.) Counting those tokens block
/// by block, a row whose count reaches `k` on both sides is decided and stops
/// costing anything; for most heads almost every row is decided within the
/// first block. The answer is the same as a full computation's.
struct HeadRanking {
    struct Outcome {
        var relationHit: [Bool]
        var suppressionHit: [Bool]
        /// For each row, how many blocks were computed before it was decided
        /// (equal to the number of blocks when it never was).
        var blocksUntilDecided: [Int]
        var flops: Double
        /// Time inside matrix products, for the dense part's GFLOP/s.
        var denseSeconds: Double
    }

    let unembedding: MatrixView
    let blocks: VocabularyBlocks

    /// - Parameters:
    ///   - sources: `[n, d]` source representations, one row per pair.
    ///   - targets: the target token of each row.
    ///   - k: the k of each row's relation.
    func rank(head: HeadOV, sources: Matrix, targets: [Int], k: [Int]) -> Outcome {
        let n = sources.rows, d = sources.cols, dh = head.valueWeights.cols
        var flops = 0.0
        let clock = ContinuousClock()
        var dense = Duration.zero
        func timed<T>(_ body: () -> T) -> T {
            let start = clock.now
            defer { dense += clock.now - start }
            return body()
        }
        // Cheapest products first: x·W_V is [n, dh]; (x·W_V)·W_O is [n, d].
        let a = timed { Products.multiply(sources, head.valueWeights) }
        let aw = timed { Products.multiply(a, head.outputWeights) }
        flops += 2 * Double(n * d * dh) * 2

        var targetLogit = [Float](repeating: 0, count: n)
        aw.storage.withUnsafeBufferPointer { awp in
            for i in 0..<n {
                targetLogit[i] = BLAS.dot(awp.baseAddress! + i * d, unembedding.base + targets[i] * d, count: d)
            }
        }
        flops += 2 * Double(n * d)

        var above = [Int](repeating: 0, count: n)
        var below = [Int](repeating: 0, count: n)
        var until = [Int](repeating: blocks.blocks.count, count: n)
        var active = Array(0..<n)
        let maxBlock = blocks.blocks.map(\.count).max() ?? 0
        var logits = [Float](repeating: 0, count: n * maxBlock)
        var projected = [Float](repeating: 0, count: dh * maxBlock)

        for (blockNumber, block) in blocks.blocks.enumerated() where !active.isEmpty {
            let m = active.count, width = block.count
            let vocabBlock = unembedding.rows(block)
            // (x·W_V)·(W_O·W_U[:, block]) shares one [dh, width] product among
            // all rows; ((x·W_V)·W_O)·W_U[:, block] costs only the rows left.
            let sharedRoute = dh * d + m * dh
            let rowRoute = m * d
            logits.withUnsafeMutableBufferPointer { out in
                if sharedRoute < rowRoute {
                    projected.withUnsafeMutableBufferPointer { p in
                        let rows = m == n ? a : a.gatherRows(active)
                        timed {
                            head.outputWeights.view { wo in Products.multiplyTransposed(wo, vocabBlock, into: p.baseAddress!) }
                            rows.view { r in
                                BLAS.gemm(m: m, n: width, k: dh, a: r.base, lda: dh, b: p.baseAddress!, ldb: width,
                                          c: out.baseAddress!, ldc: width)
                            }
                        }
                    }
                    flops += 2 * Double(sharedRoute * width)
                } else {
                    let rows = m == n ? aw : aw.gatherRows(active)
                    timed { rows.view { r in Products.multiplyTransposed(r, vocabBlock, into: out.baseAddress!) } }
                    flops += 2 * Double(rowRoute * width)
                }
                for (r, i) in active.enumerated() {
                    let row = out.baseAddress! + r * width
                    let t = targetLogit[i]
                    var larger = 0, smaller = 0
                    for j in 0..<width {
                        let v = row[j]
                        larger &+= v >= t ? 1 : 0
                        smaller &+= v <= t ? 1 : 0
                    }
                    // The target's own column, recomputed here, may differ from
                    // the separately computed target logit in the last bit.
                    if block.contains(targets[i]) {
                        let v = row[targets[i] - block.lowerBound]
                        if v >= t { larger -= 1 }
                        if v <= t { smaller -= 1 }
                    }
                    above[i] += larger
                    below[i] += smaller
                }
            }
            active.removeAll { i in
                let decided = above[i] >= k[i] && below[i] >= k[i]
                if decided { until[i] = blockNumber + 1 }
                return decided
            }
        }
        return Outcome(relationHit: (0..<n).map { above[$0] < k[$0] },
                       suppressionHit: (0..<n).map { below[$0] < k[$0] },
                       blocksUntilDecided: until, flops: flops, denseSeconds: dense.seconds)
    }
}
