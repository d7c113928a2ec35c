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
    /// A norm of the branch's output before it joins the stream (OLMo 2's
    /// `post_feedforward_layernorm`): part of what a later head reads.
    public var outputNorm: Norm?

    public init(
        norm: Norm, inWeight: Matrix, inBias: [Float] = [], upWeight: Matrix? = nil,
        outWeight: Matrix, outBias: [Float] = [], activation: Activation
    ) {
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
        return outputNorm?.apply(to: out) ?? out
    }
}

extension FirstMLP {
    /// `MLP(norm(x))` in double precision for `rows` rows of `x` (row-major
    /// `[rows, d_model]`): the few sources whose values a person reads. The
    /// weights are converted a slice of `d_mlp` at a time, so memory holds a
    /// slice, not a double copy of the MLP.
    public func applyInDouble(to x: [Double], rows: Int) -> [Double] {
        let d = inWeight.rows
        let dMLP = inWeight.cols
        let slice = 256
        let normed = norm.applyInDouble(x, rows: rows)
        var out = [Double](repeating: 0, count: rows * d)
        for lo in stride(from: 0, to: dMLP, by: slice) {
            let w = min(slice, dMLP - lo)
            func columns(_ m: Matrix) -> [Double] {
                var c = [Double](repeating: 0, count: d * w)
                for i in 0..<d { for j in 0..<w { c[i * w + j] = Double(m.storage[i * dMLP + lo + j]) } }
                return c
            }
            func times(_ weights: [Double]) -> [Double] {
                var h = [Double](repeating: 0, count: rows * w)
                BLAS.gemm(m: rows, n: w, k: d, a: normed, lda: d, b: weights, ldb: w, c: &h, ldc: w)
                return h
            }
            var hidden = times(columns(inWeight))
            for r in 0..<rows {
                for j in 0..<w {
                    let pre = hidden[r * w + j] + (inBias.isEmpty ? 0 : Double(inBias[lo + j]))
                    hidden[r * w + j] = activation.apply(pre)
                }
            }
            if let upWeight {
                let linear = times(columns(upWeight))
                for i in hidden.indices { hidden[i] *= linear[i] }
            }
            let down = outWeight.storage[(lo * d)..<((lo + w) * d)].map(Double.init)
            BLAS.gemm(m: rows, n: d, k: w, a: hidden, lda: w, b: down, ldb: d, beta: 1, c: &out, ldc: d)
        }
        if !outBias.isEmpty { for r in 0..<rows { for c in 0..<d { out[r * d + c] += Double(outBias[c]) } } }
        return outputNorm?.applyInDouble(out, rows: rows) ?? out
    }
}
