import Foundation

/// The element-wise pieces of a transformer block that the analysis needs.
public enum Activation: String, Sendable, CaseIterable {
    /// GPT-2's `gelu_new`: the tanh approximation.
    case geluNew = "gelu_new"
    /// The exact erf form.
    case gelu = "gelu"
    case relu = "relu"

    public func apply(_ x: Float) -> Float {
        switch self {
        case .geluNew:
            let c: Float = 0.7978845608028654  // sqrt(2/π)
            return 0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x)))
        case .gelu:
            return 0.5 * x * (1 + erf(x / 1.4142135623730951))
        case .relu:
            return max(0, x)
        }
    }

    /// Accepts the spellings Hugging Face configs use.
    public init?(configName: String) {
        switch configName {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluNew
        case "gelu": self = .gelu
        case "relu": self = .relu
        default: return nil
        }
    }
}

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

extension Matrix {
    public mutating func addRowVector(_ v: [Float]) {
        precondition(v.count == cols)
        for r in 0..<rows { for c in 0..<cols { self[r, c] += v[c] } }
    }

    public mutating func apply(_ activation: Activation) {
        for i in storage.indices { storage[i] = activation.apply(storage[i]) }
    }
}
