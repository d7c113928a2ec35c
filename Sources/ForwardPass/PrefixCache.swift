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
        _ = try run(batch.map { Array($0.dropLast()) }, interventions: Interventions(), positions: nil) { layer, qkv in captured[layer] = qkv }
        return PrefixCache(qkv: captured, prompts: batch.count, prefixLength: length - 1, lastTokens: batch.map { $0[length - 1] })
    }

    /// The logits after each prompt (at its last position) with `zeroed`
    /// heads' output at that position set to 0: the same as `run` with
    /// `zeroedAt` the last position, at the cost of one row per prompt.
    public func lastLogits(_ cache: PrefixCache, zeroed: Set<HeadIndex> = []) throws -> Matrix {
        let shape = weights.shape, dh = shape.dHead, p = cache.prefixLength, n = cache.prompts
        for index in zeroed where index.layer >= shape.layers || index.head >= shape.heads {
            throw ForwardPassError.headOutsideModel(head: index, layers: shape.layers, heads: shape.heads)
        }
        var x = weights.inputRows(tokens: cache.lastTokens, positions: [Int](repeating: p, count: n))
        let keyOffset = weights.keyOffset, valueOffset = weights.valueOffset
        for layer in 0..<shape.layers {
            let block = try block(layer)
            let qkv = queryKeyValue(x, block: block, positions: [Int](repeating: p, count: n))
            let past = cache.qkv[layer]
            var z = Matrix(rows: n, cols: weights.queryWidth)
            for b in 0..<n {
                for head in 0..<shape.heads where !zeroed.contains(HeadIndex(layer: layer, head: head)) {
                    let key = keyOffset + shape.valueGroup(ofHead: head) * dh, value = valueOffset + shape.valueGroup(ofHead: head) * dh
                    // Keys: the prefix's (within the sliding window), then the last position's own.
                    let first = block.slidingWindow.map { max(0, p - $0 + 1) } ?? 0
                    var scores = [Float](repeating: 0, count: p + 1)
                    for k in first...p {
                        var s: Float = 0
                        for j in 0..<dh {
                            s += qkv[b, head * dh + j] * (k < p ? past[b * p + k, key + j] : qkv[b, key + j])
                        }
                        scores[k] = weights.attentionScore(s)
                    }
                    let best = scores[first...p].max()!
                    var sum: Float = 0
                    for k in first...p { scores[k] = exp(scores[k] - best); sum += scores[k] }
                    for k in first...p {
                        let a = scores[k] / sum
                        for j in 0..<dh {
                            z[b, head * dh + j] += a * (k < p ? past[b * p + k, value + j] : qkv[b, value + j])
                        }
                    }
                }
            }
            finishBlock(&x, z: z, block: block)
        }
        return logits(x)
    }
}
