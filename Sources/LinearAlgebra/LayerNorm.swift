import Foundation

public enum LayerNorm {
    /// Normalises each row to zero mean and unit variance (biased variance, as
    /// PyTorch does), then applies `weight` and `bias`.
    public static func apply(_ x: Matrix, weight: [Float], bias: [Float], epsilon: Float) -> Matrix {
        precondition(weight.count == x.cols && bias.count == x.cols)
        var out = x
        let n = x.cols
        for r in 0..<x.rows {
            var mean: Double = 0
            for c in 0..<n { mean += Double(x[r, c]) }
            mean /= Double(n)
            var variance: Double = 0
            for c in 0..<n { let d = Double(x[r, c]) - mean; variance += d * d }
            variance /= Double(n)
            let inv = 1 / (variance + Double(epsilon)).squareRoot()
            for c in 0..<n {
                out[r, c] = Float((Double(x[r, c]) - mean) * inv) * weight[c] + bias[c]
            }
        }
        return out
    }
}
