import Foundation

public enum LayerNorm {
    /// Normalises each row to zero mean and unit variance (biased variance, as
    /// PyTorch does), then applies `weight` and `bias`.
    public static func apply(_ x: Matrix, weight: [Float], bias: [Float], epsilon: Float) -> Matrix {
        precondition(weight.count == x.cols && bias.count == x.cols)
        let n = x.cols
        return x.mapRows { row, out in
            var mean: Double = 0
            for c in 0..<n { mean += Double(row[c]) }
            mean /= Double(n)
            var variance: Double = 0
            for c in 0..<n {
                let d = Double(row[c]) - mean
                variance += d * d
            }
            variance /= Double(n)
            let inv = 1 / (variance + Double(epsilon)).squareRoot()
            for c in 0..<n { out[c] = Float((Double(row[c]) - mean) * inv) * weight[c] + bias[c] }
        }
    }
}

public enum RMSNorm {
    /// `x / sqrt(mean(x²) + ε) · (offset + w)`: Llama, Qwen2 and Mistral use
    /// offset 0; Gemma stores `w` centred on zero and multiplies by `1 + w`.
    public static func apply(_ x: Matrix, weight: [Float], epsilon: Float, weightOffset: Float = 0) -> Matrix {
        precondition(weight.count == x.cols)
        let n = x.cols
        let scale = weight.map { weightOffset + $0 }
        return x.mapRows { row, out in
            var squares: Double = 0
            for c in 0..<n {
                let v = Double(row[c])
                squares += v * v
            }
            let inv = 1 / (squares / Double(n) + Double(epsilon)).squareRoot()
            for c in 0..<n { out[c] = Float(Double(row[c]) * inv) * scale[c] }
        }
    }
}
