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

    public func check(head: HeadOV, sources: Matrix, layer: Int, index: Int) throws {
        let x = sources.view { LogitBound.largestRowNorm($0) }
        let v = LogitBound.frobenius(head.valueWeights), o = LogitBound.frobenius(head.outputWeights)
        let bound = max(x * v * o * largestUnembeddingRow, o * largestUnembeddingRow)
        guard bound.isFinite, bound < LogitBound.margin else {
            throw AnalysisError.logitsMayOverflow(layer: layer, head: index, bound: bound)
        }
    }

    static func largestRowNorm(_ m: MatrixView) -> Double {
        var largest = 0.0
        for r in 0..<m.rows {
            var sum = 0.0
            let row = m.base + r * m.cols
            for c in 0..<m.cols { sum += Double(row[c]) * Double(row[c]) }
            largest = max(largest, sum)
        }
        return largest.squareRoot()
    }

    static func frobenius(_ m: Matrix) -> Double {
        m.storage.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
}
