import Checkpoint
import LinearAlgebra

/// Proves, before any product runs, that a head's logits stay inside float32.
///
/// Finite weights can still overflow to ±Inf in `x·W_V·W_O·W_U`, and an
/// infinite or NaN logit makes every count of "larger logits" wrong (a NaN
/// target beats nothing and would score as a perfect hit). By Cauchy–Schwarz
/// every entry of every intermediate product, and every partial sum inside
/// BLAS, is at most `max‖x‖ · ‖W_V‖_F · ‖W_O‖_F · max‖u‖` (or `‖W_O‖_F · max‖u‖`
/// for the `W_O·W_U` route); when both bounds are below a margin under
/// `Float.greatestFiniteMagnitude` no overflow is possible. Real models sit
/// some thirty orders of magnitude below it.
public struct LogitBound: Sendable {
    public static let margin = Double(Float.greatestFiniteMagnitude) / 16

    let largestUnembeddingRow: Double

    public init(unembedding: MatrixView) {
        largestUnembeddingRow = LogitBound.largestRowNorm(unembedding)
    }

    /// - Parameter sourceNorm: the largest row norm of what the head reads
    ///   (`largestRowNorm` of the layer's source representations, computed once).
    public func check(head: HeadOV, sourceNorm x: Double, layer: Int, index: Int) throws {
        let v = LogitBound.frobenius(head.valueWeights)
        let o = LogitBound.frobenius(head.outputWeights)
        let bound = max(x * v * o * largestUnembeddingRow, o * largestUnembeddingRow)
        guard bound.isFinite, bound < LogitBound.margin else {
            throw AnalysisError.logitsMayOverflow(layer: layer, head: index, bound: bound)
        }
    }

    /// Float sums of squares (they vectorise); a row whose sum overflows
    /// gives infinity, and the check then fails, as it should for such weights.
    public static func largestRowNorm(_ m: MatrixView) -> Double {
        var largest: Float = 0
        for r in 0..<m.rows {
            let row = m.base + r * m.cols
            var sum = SIMD8<Float>()
            var c = 0
            while c + 8 <= m.cols {
                let v = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
                sum += v * v
                c += 8
            }
            var total = sum.sum()
            while c < m.cols {
                total += row[c] * row[c]
                c += 1
            }
            largest = max(largest, total)
        }
        return Double(largest).squareRoot() * (1 + 1e-5)  // a margin for the Float rounding of the sums
    }

    static func frobenius(_ m: Matrix) -> Double {
        m.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
}
