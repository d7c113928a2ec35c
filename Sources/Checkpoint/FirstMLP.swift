import LinearAlgebra

/// Block 0's MLP with the norm in front of it: what heads of layers ≥ 1
/// see of a token, in the method's source representation.
///
/// One shape covers the families: a plain MLP `act(x·W_in + b_in)·W_out + b_out`
/// (GPT-2, Pythia, Phi-2) and a gated one `(act(x·W_gate) ⊙ x·W_up)·W_down`
/// (Llama, Qwen2, Mistral, Gemma 2), where `inWeight` is the activated branch.
public struct FirstMLP: Sendable {
    public let norm: Norm
    /// `[d_model, d_mlp]`: the branch the activation applies to.
    public let inWeight: Matrix
    /// Empty when the family has no MLP biases.
    public let inBias: [Float]
    /// `[d_model, d_mlp]`, the linear branch of a gated MLP; `nil` for a plain one.
    public let upWeight: Matrix?
    /// `[d_mlp, d_model]`.
    public let outWeight: Matrix
    public let outBias: [Float]
    public let activation: Activation

    public init(norm: Norm, inWeight: Matrix, inBias: [Float] = [], upWeight: Matrix? = nil,
                outWeight: Matrix, outBias: [Float] = [], activation: Activation) {
        precondition(upWeight.map { $0.rows == inWeight.rows && $0.cols == inWeight.cols } ?? true)
        self.norm = norm
        self.inWeight = inWeight
        self.inBias = inBias
        self.upWeight = upWeight
        self.outWeight = outWeight
        self.outBias = outBias
        self.activation = activation
    }

    /// `MLP(norm(x))` for each row of `x`: the output only, no residual.
    public func apply(to x: Matrix) -> Matrix {
        let normed = norm.apply(to: x)
        var hidden = Products.multiply(normed, inWeight)
        if !inBias.isEmpty { hidden.addRowVector(inBias) }
        hidden.apply(activation)
        if let upWeight { hidden.multiplyElementwise(by: Products.multiply(normed, upWeight)) }
        var out = Products.multiply(hidden, outWeight)
        if !outBias.isEmpty { out.addRowVector(outBias) }
        return out
    }
}
