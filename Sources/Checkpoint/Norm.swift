import LinearAlgebra

/// The normalisation in front of block 0's MLP, in the two forms the
/// supported families use.
public struct Norm: Sendable {
    public enum Kind: String, Sendable {
        case layerNorm = "LayerNorm"
        case rmsNorm = "RMSNorm"
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

    public func apply(to x: Matrix) -> Matrix {
        switch kind {
        case .layerNorm: return LayerNorm.apply(x, weight: weight, bias: bias, epsilon: epsilon)
        case .rmsNorm: return RMSNorm.apply(x, weight: weight, epsilon: epsilon, weightOffset: weightOffset)
        }
    }
}
