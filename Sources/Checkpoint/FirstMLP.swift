import LinearAlgebra

/// Block 0's MLP with the LayerNorm in front of it: what heads of layers ≥ 1
/// see of a token, in the method's source representation.
public struct FirstMLP: Sendable {
    public let normWeight: [Float]
    public let normBias: [Float]
    public let normEpsilon: Float
    /// `[d_model, d_mlp]`.
    public let inWeight: Matrix
    public let inBias: [Float]
    /// `[d_mlp, d_model]`.
    public let outWeight: Matrix
    public let outBias: [Float]
    public let activation: Activation

    public init(normWeight: [Float], normBias: [Float], normEpsilon: Float, inWeight: Matrix, inBias: [Float],
                outWeight: Matrix, outBias: [Float], activation: Activation) {
        self.normWeight = normWeight
        self.normBias = normBias
        self.normEpsilon = normEpsilon
        self.inWeight = inWeight
        self.inBias = inBias
        self.outWeight = outWeight
        self.outBias = outBias
        self.activation = activation
    }

    /// `MLP(LN(x))` for each row of `x`: the output only, no residual.
    public func apply(to x: Matrix) -> Matrix {
        var hidden = Products.multiply(LayerNorm.apply(x, weight: normWeight, bias: normBias, epsilon: normEpsilon), inWeight)
        hidden.addRowVector(inBias)
        hidden.apply(activation)
        var out = Products.multiply(hidden, outWeight)
        out.addRowVector(outBias)
        return out
    }
}
