import LinearAlgebra

/// The normalisation in front of block 0's MLP, in the two forms the
/// supported families use.
public struct Norm: Sendable {
    public enum Kind: String, Sendable {
        case layerNorm = "LayerNorm"
        case rmsNorm = "RMSNorm"
        /// No norm: OLMo 2's branches read the residual stream as it is.
        case identity = "none"
    }

    public let kind: Kind
    public let weight: [Float]
    /// LayerNorm's bias (RMSNorm has none).
    public let bias: [Float]
    public let epsilon: Float
    /// Added to `weight` before use: Gemma's RMSNorm multiplies by `1 + w`.
    public let weightOffset: Float

    public static func layerNorm(weight: [Float], bias: [Float], epsilon: Float) -> Norm {
        Norm(kind: .layerNorm, weight: weight, bias: bias, epsilon: epsilon, weightOffset: 0)
    }

    public static func rmsNorm(weight: [Float], epsilon: Float, weightOffset: Float = 0) -> Norm {
        Norm(kind: .rmsNorm, weight: weight, bias: [], epsilon: epsilon, weightOffset: weightOffset)
    }

    public static let identity = Norm(kind: .identity, weight: [], bias: [], epsilon: 0, weightOffset: 0)

    public func apply(to x: Matrix) -> Matrix {
        switch kind {
        case .layerNorm: return LayerNorm.apply(x, weight: weight, bias: bias, epsilon: epsilon)
        case .rmsNorm: return RMSNorm.apply(x, weight: weight, epsilon: epsilon, weightOffset: weightOffset)
        case .identity: return x
        }
    }
}

extension Norm {
    /// The same in double precision, for `rows` rows of `x` (row-major).
    public func applyInDouble(_ x: [Double], rows: Int) -> [Double] {
        guard kind != .identity else { return x }
        let n = weight.count
        precondition(x.count == rows * n)
        var out = x
        for r in 0..<rows {
            let row = x[(r * n)..<((r + 1) * n)]
            let mean = kind == .layerNorm ? row.reduce(0, +) / Double(n) : 0
            let meanSquare = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            let inv = 1 / (meanSquare + Double(epsilon)).squareRoot()
            for c in 0..<n {
                let scaled = (x[r * n + c] - mean) * inv * (Double(weightOffset) + Double(weight[c]))
                out[r * n + c] = kind == .layerNorm ? scaled + Double(bias[c]) : scaled
            }
        }
        return out
    }
}
