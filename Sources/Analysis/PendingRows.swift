import Foundation
import LinearAlgebra

/// Rows that a layer leaves undecided while too few of their head's rows
/// remain for the shared `W_O · W_U[:, block]` product to pay. They are
/// finished after the last layer, all together: one
/// `((x·W_V)·W_O) · W_U[:, block]` per block for the rows of every layer, so
/// each block of the unembedding is streamed once for the whole model.
final class PendingRows {
    struct Owner {
        let layer: Int
        let head: Int
        let row: Int
    }

    let width: Int
    private var vectors: [Float] = []
    private var targetLogit: [Float] = []
    private var margin: [Float] = []
    private var target: [Int] = []
    private var k: [Int] = []
    private(set) var above: [Int] = []
    private(set) var below: [Int] = []
    /// The first block each row still has to see.
    private var nextBlock: [Int] = []
    private(set) var owners: [Owner] = []
    /// Blocks computed when each row was decided; `nil` when it never was.
    private(set) var until: [Int?] = []

    init(width: Int) { self.width = width }

    static let rowsPerChunk = 1024

    var count: Int { owners.count }

    func append(
        vector: UnsafePointer<Float>, count: Int, targetLogit t: Float, margin m: Float, target: Int, k: Int,
        above: Int, below: Int, nextBlock: Int, owner: Owner
    ) {
        vectors.append(contentsOf: UnsafeBufferPointer(start: vector, count: count))
        targetLogit.append(t)
        margin.append(m)
        self.target.append(target)
        self.k.append(k)
        self.above.append(above)
        self.below.append(below)
        self.nextBlock.append(nextBlock)
        owners.append(owner)
        until.append(nil)
    }

    func relationHit(_ r: Int) -> Bool { above[r] < k[r] }
    func suppressionHit(_ r: Int) -> Bool { below[r] < k[r] }

    /// Runs every remaining block for every row.
    func finish(_ ranking: LayerRanking, meter: LayerRanking.Meter) {
        guard let first = nextBlock.min() else { return }
        var open = Array(0..<count)
        let blocks = ranking.blocks.blocks
        for b in first..<blocks.count {
            let rows = open.filter { nextBlock[$0] <= b }
            if open.isEmpty { break }
            if rows.isEmpty { continue }
            let block = blocks[b]
            let columns = block.count
            var counts = [(Int, Int)](repeating: (0, 0), count: rows.count)
            // Rows in fixed chunks: the copies and logits of a chunk, not of
            // every pending row of the model, are what memory holds.
            for chunkStart in stride(from: 0, to: rows.count, by: PendingRows.rowsPerChunk) {
                let chunk = Array(rows[chunkStart..<min(rows.count, chunkStart + PendingRows.rowsPerChunk)])
                var stacked = LayerRanking.uninitialized(chunk.count * width)
                vectors.withUnsafeBufferPointer { src in
                    stacked.withUnsafeMutableBufferPointer { dst in
                        for (slot, r) in chunk.enumerated() {
                            (dst.baseAddress! + slot * width).update(from: src.baseAddress! + r * width, count: width)
                        }
                    }
                }
                var logits = LayerRanking.uninitialized(chunk.count * columns)
                stacked.withUnsafeBufferPointer { s in
                    logits.withUnsafeMutableBufferPointer { out in
                        ranking.timesBlock(
                            s.baseAddress!, rows: chunk.count, block: ranking.unembedding.rows(block),
                            into: out.baseAddress!, meter: meter)
                    }
                }
                logits.withUnsafeBufferPointer { l in
                    counts.withUnsafeMutableBufferPointer { c in
                        ranking.parallel(chunk.count) { slot in
                            let r = chunk[slot]
                            c[chunkStart + slot] = LayerRanking.countRow(
                                l.baseAddress! + slot * columns, width: columns, block: block,
                                target: target[r], targetLogit: targetLogit[r],
                                margin: margin[r])
                        }
                    }
                }
            }
            for (slot, r) in rows.enumerated() {
                above[r] += counts[slot].0
                below[r] += counts[slot].1
                if above[r] >= k[r] && below[r] >= k[r] { until[r] = b + 1 }
            }
            open.removeAll { until[$0] != nil }
        }
    }
}
