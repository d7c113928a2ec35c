import Dispatch
import LinearAlgebra

/// Proves a row's argmax over the vocabulary from a nearby row whose logits
/// are known whole — an ablation sweep's step beside the step its pass
/// starts from — without making the row's own logits.
///
/// With `u` the row after the final norm, `a` its anchor (the same prompt,
/// logits `L_a` known) and `δ = ‖u − a‖`, every token's logit moves by at
/// most `δ·‖W_U[t]‖`. A float32 dot product of length `d` errs by at most
/// `γ·‖x‖·‖y‖`, `γ = d·2⁻²⁴` (any summation order), so bounds on the values
/// `logits` computes hold for the float32 values themselves:
/// 1. `v` = this row's logit of the anchor's argmax; every token with
///    `L_a[t] + (δ + 2γ·max(‖u‖, ‖a‖))·‖W_U[t]‖ < v − 2γ·‖u‖·‖W_U[a]‖`
///    lies below it in `logits`' float32 values too; the others are the candidates;
/// 2. the candidates' logits are computed; if the best leads every other by
///    more than `4γ·‖u‖·max ‖W_U[c]‖`, it is `logits`' one largest value, so
///    its argmax bit for bit. Otherwise (near ties, or too many candidates)
///    the row is left undecided, and its logits are made whole.
///
/// It holds the unembedding's storage: make and use one within `withMatrix`.
struct ArgmaxScreen: Sendable {
    let unembedding: MatrixView
    /// `‖W_U[t]‖` of every token, in float32, raised by a part in a thousand
    /// (it and `δ` bound, so a bound of them must not round low).
    let rowNorms: [Float]
    let gamma: Float

    /// Past this many candidates a row's logits are made whole.
    static let candidateLimit = 2048

    init(unembedding u: MatrixView) {
        unembedding = u
        let d = u.cols
        rowNorms = (0..<u.rows).map { t in ArgmaxScreen.norm(u.base + t * d, count: d) * 1.001 }
        gamma = Float(d) * 0x1p-24 * 1.01
    }

    /// Each row of `normed` past the first `prompts` (the anchors' rows;
    /// row `r` belongs to prompt `r % prompts`): its argmax, or nil where the
    /// bound does not decide it. Rows on every core.
    func decide(normed: Matrix, anchors: Matrix, anchorArgmax: [Int], prompts n: Int) -> [Int?] {
        let rows = normed.rows - n
        guard rows > 0 else { return [] }
        let d = normed.cols
        let vocab = anchors.cols
        var decided = [Int](repeating: -1, count: rows)
        decided.withUnsafeMutableBufferPointer { out in
            let shared = SharedInts(out.baseAddress!)
            normed.view { x in
                anchors.view { l in
                    // A prompt's rows together, so its anchor's logits stay in cache.
                    DispatchQueue.concurrentPerform(iterations: n) { p in
                        for r in stride(from: n + p, to: normed.rows, by: n) {
                            shared.pointer[r - n] =
                                decide(
                                    row: x.base + r * d, anchor: x.base + p * d, anchorLogits: l.base + p * vocab,
                                    anchorArgmax: anchorArgmax[p], d: d, vocab: vocab) ?? -1
                        }
                    }
                }
            }
        }
        return decided.map { $0 < 0 ? nil : $0 }
    }

    private func decide(
        row u: UnsafePointer<Float>, anchor a: UnsafePointer<Float>, anchorLogits l: UnsafePointer<Float>,
        anchorArgmax best: Int, d: Int, vocab: Int
    ) -> Int? {
        var difference: Float = 0
        for j in 0..<d { difference += (u[j] - a[j]) * (u[j] - a[j]) }
        let uNorm = ArgmaxScreen.norm(u, count: d) * 1.001
        let aNorm = ArgmaxScreen.norm(a, count: d) * 1.001
        let slack = (difference.squareRoot() * 1.001 + 2 * gamma * max(uNorm, aNorm)) * 1.001
        let v = LaneDot.dot(u, unembedding.base + best * d, count: d)
        let threshold = v - 2 * gamma * uNorm * rowNorms[best]
        // The candidates, sixteen tokens at a time: most groups hold none.
        var candidates: [Int] = []
        let thresholds = SIMD16<Float>(repeating: threshold)
        let slacks = SIMD16<Float>(repeating: slack)
        var t = 0
        rowNorms.withUnsafeBufferPointer { norms in
            while t + 16 <= vocab {
                let bound =
                    UnsafeRawPointer(l + t).loadUnaligned(as: SIMD16<Float>.self)
                    + slacks * UnsafeRawPointer(norms.baseAddress! + t).loadUnaligned(as: SIMD16<Float>.self)
                if any(bound .>= thresholds) {
                    for i in 0..<16 where bound[i] >= threshold { candidates.append(t + i) }
                }
                t += 16
            }
            while t < vocab {
                if l[t] + slack * norms[t] >= threshold { candidates.append(t) }
                t += 1
            }
        }
        guard !candidates.isEmpty, candidates.count <= ArgmaxScreen.candidateLimit else { return nil }
        var first = (token: -1, value: -Float.infinity)
        var second = -Float.infinity
        var largestNorm: Float = 0
        for c in candidates {
            let value = LaneDot.dot(u, unembedding.base + c * d, count: d)
            largestNorm = max(largestNorm, rowNorms[c])
            if value > first.value {
                second = first.value
                first = (c, value)
            } else {
                second = max(second, value)
            }
        }
        guard first.token >= 0, first.value.isFinite, first.value - second > 4 * gamma * uNorm * largestNorm
        else { return nil }
        return first.token
    }

    static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float { LaneDot.dot(x, x, count: count).squareRoot() }
}
