import Checkpoint
import Core
import Foundation
import LinearAlgebra

/// Every prompt but its last token, run once: each layer's keys and values.
/// An intervention at the last position changes nothing before it (the
/// attention is causal), so an ablation sweep recomputes only the last
/// position against this cache — one row per prompt instead of all of them.
public struct PrefixCache: Sendable {
    /// Per layer, `[prompt · position][q | k | v]` rows of the prefix.
    let qkv: [Matrix]
    public let prompts: Int
    /// Tokens before the last.
    public let prefixLength: Int
    public let lastTokens: [Int]
}

extension ForwardPass {
    /// Runs every prompt's tokens but the last and keeps their keys and values.
    public func prefix(_ batch: [[Int]]) throws -> PrefixCache {
        guard let length = batch.first?.count, length >= 2, batch.allSatisfy({ $0.count == length }) else {
            throw ForwardPassError.unevenBatch(lengths: batch.map(\.count))
        }
        var captured = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: weights.shape.layers)
        _ = try run(batch.map { Array($0.dropLast()) }, interventions: Interventions(), positions: nil) { layer, qkv in
            captured[layer] = qkv
        }
        return PrefixCache(
            qkv: captured, prompts: batch.count, prefixLength: length - 1, lastTokens: batch.map { $0[length - 1] })
    }

    /// The logits after each prompt (at its last position) with `zeroed`
    /// heads' output at that position set to 0: the same as `run` with
    /// `zeroedAt` the last position, at the cost of one row per prompt.
    public func lastLogits(_ cache: PrefixCache, zeroed: Set<HeadIndex> = []) throws -> Matrix {
        try lastLogits(cache, zeroedSets: [zeroed])
    }

    /// The same for several sets of zeroed heads in one pass, rows
    /// `set · prompts + prompt`: an ablation sweep's steps together make
    /// products tall enough to run at the machine's speed.
    public func lastLogits(_ cache: PrefixCache, zeroedSets: [Set<HeadIndex>]) throws -> Matrix {
        let shape = weights.shape
        let dh = shape.dHead
        let p = cache.prefixLength
        let n = cache.prompts
        for zeroed in zeroedSets {
            for index in zeroed where index.layer >= shape.layers || index.head >= shape.heads {
                throw ForwardPassError.headOutsideModel(head: index, layers: shape.layers, heads: shape.heads)
            }
        }
        let rows = zeroedSets.count * n
        let positions = [Int](repeating: p, count: rows)
        var x = weights.inputRows(tokens: zeroedSets.flatMap { _ in cache.lastTokens }, positions: positions)
        let keyOffset = weights.keyOffset
        let valueOffset = weights.valueOffset
        let width = weights.queryKeyValueWidth
        let zWidth = weights.queryWidth
        for layer in 0..<shape.layers {
            let block = try block(layer)
            let qkv = queryKeyValue(x, block: block, positions: positions)
            let past = cache.qkv[layer]
            let live = zeroedSets.map { zeroed in
                (0..<shape.heads).filter { !zeroed.contains(HeadIndex(layer: layer, head: $0)) }
            }
            // Keys: the prefix's (within the sliding window), then the last position's own.
            let first = block.slidingWindow.map { max(0, p - $0 + 1) } ?? 0
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
        return logits(x)
    }
}
