import Foundation
import LinearAlgebra

/// Block 0's MLP with the norm in front of it: what heads of layers ≥ 1
/// see of a token, in the method's source representation. Built from the
/// model's own block 0 (`ModelWeights.FeedForward`), its weights copied into
/// the `[in, out]` orientation the analysis multiplies in.
///
/// One shape covers the families: a plain MLP `act(x·W_in + b_in)·W_out + b_out`
/// (GPT-2, Pythia, Phi-2), a gated one `(act(x·W_gate) ⊙ x·W_up)·W_down`
/// (Llama, Qwen, Mistral, Gemma), and a mixture of experts (Mixtral, OLMoE,
/// Qwen3-MoE), whose output for a token is its router's weighted sum of the
/// top-k experts, as the model computes it.
public struct FirstMLP: Sendable {
    /// One dense network.
    public struct Dense: Sendable {
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

        init?(_ mlp: ModelWeights.MLP) {
            switch mlp {
            case .plain(let input, let output, let activation):
                (inWeight, inBias, upWeight) = (input.inOutMatrix(), input.bias, nil)
                (outWeight, outBias, self.activation) = (output.inOutMatrix(), output.bias, activation)
            case .gated(let gate, let up, let down, let activation):
                (inWeight, inBias, upWeight) = (gate.inOutMatrix(), gate.bias, up.inOutMatrix())
                (outWeight, outBias, self.activation) = (down.inOutMatrix(), down.bias, activation)
            case .mixture:
                return nil
            }
        }

        /// The network on rows already normed.
        func apply(to normed: Matrix) -> Matrix {
            var hidden = Products.multiply(normed, inWeight)
            if !inBias.isEmpty { hidden.addRowVector(inBias) }
            hidden.apply(activation)
            if let upWeight { hidden.multiplyElementwise(by: Products.multiply(normed, upWeight)) }
            var out = Products.multiply(hidden, outWeight)
            if !outBias.isEmpty { out.addRowVector(outBias) }
            return out
        }

        /// The network in double precision on `rows` normed rows (row-major
        /// `[rows, d_model]`). The weights are converted a slice of `d_mlp`
        /// at a time, so memory holds a slice, not a double copy of the MLP.
        func applyInDouble(to normed: [Double], rows: Int) -> [Double] {
            let d = inWeight.rows
            let dMLP = inWeight.cols
            let slice = 256
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
            return out
        }
    }

    /// A mixture of dense experts behind a router (`ModelWeights.MixtureOfExperts`).
    public struct Mixture: Sendable {
        /// `[d_model, experts]`.
        public let router: Matrix
        public let experts: [Dense]
        public let topK: Int
        public let normalizesTopK: Bool

        /// Each row through its routed experts, summed in expert order
        /// (`ExpertRouting`), in float32 or double.
        func apply(to normed: Matrix) -> Matrix {
            ExpertRouting.mix(
                normed, logits: Products.multiply(normed, router), topK: topK, normalizes: normalizesTopK,
                experts: experts.count, outputs: normed.cols
            ) { e, rows in experts[e].apply(to: rows) }
        }

        func applyInDouble(to normed: [Double], rows: Int) -> [Double] {
            let d = router.rows
            var logits = [Double](repeating: 0, count: rows * experts.count)
            BLAS.gemm(
                m: rows, n: experts.count, k: d, a: normed, lda: d, b: router.storage.map(Double.init),
                ldb: experts.count, c: &logits, ldc: experts.count)
            let routes = (0..<rows).map { r in
                ExpertRouting.route(
                    logits: Array(logits[(r * experts.count)..<((r + 1) * experts.count)]), topK: topK,
                    normalizes: normalizesTopK)
            }
            var out = [Double](repeating: 0, count: rows * d)
            for (e, expert) in experts.enumerated() {
                let chosen = ExpertRouting.rows(routedTo: e, routes)
                guard !chosen.isEmpty else { continue }
                let x = chosen.flatMap { normed[($0.row * d)..<(($0.row + 1) * d)] }
                let y = expert.applyInDouble(to: x, rows: chosen.count)
                for (i, (row, weight)) in chosen.enumerated() {
                    for j in 0..<d { out[row * d + j] += y[i * d + j] * weight }
                }
            }
            return out
        }
    }

    public enum Network: Sendable {
        case dense(Dense)
        case mixture(Mixture)
    }

    public let norm: Norm
    public let network: Network
    /// A norm of the branch's output before it joins the stream (OLMo 2's
    /// `post_feedforward_layernorm`), where the family counts it as part of
    /// what a later head reads.
    public let outputNorm: Norm?

    /// - Parameter includingOutputNorm: whether the branch's output norm is part of the source.
    public init(_ feedForward: ModelWeights.FeedForward, includingOutputNorm: Bool) {
        norm = feedForward.norm
        outputNorm = includingOutputNorm ? feedForward.outputNorm : nil
        if case .mixture(let m) = feedForward.mlp {
            network = .mixture(
                Mixture(
                    router: m.router.inOutMatrix(), experts: m.experts.map { Dense($0)! }, topK: m.topK,
                    normalizesTopK: m.normalizesTopK))
        } else {
            network = .dense(Dense(feedForward.mlp)!)
        }
    }

    /// The one dense network; `nil` for a mixture of experts.
    public var dense: Dense? {
        if case .dense(let dense) = network { return dense }
        return nil
    }

    /// `MLP(norm(x))` for each row of `x`: the output only, no residual.
    public func apply(to x: Matrix) -> Matrix {
        let normed = norm.apply(to: x)
        let out =
            switch network {
            case .dense(let dense): dense.apply(to: normed)
            case .mixture(let mixture): mixture.apply(to: normed)
            }
        return outputNorm?.apply(to: out) ?? out
    }

    /// `MLP(norm(x))` in double precision for `rows` rows of `x` (row-major
    /// `[rows, d_model]`): the few sources whose values a person reads.
    public func applyInDouble(to x: [Double], rows: Int) -> [Double] {
        let normed = norm.applyInDouble(x, rows: rows)
        let out =
            switch network {
            case .dense(let dense): dense.applyInDouble(to: normed, rows: rows)
            case .mixture(let mixture): mixture.applyInDouble(to: normed, rows: rows)
            }
        return outputNorm?.applyInDouble(out, rows: rows) ?? out
    }
}

/// Which experts a token goes to, shared by the forward pass and the
/// sources so that both route alike: the softmax of the router's logits,
/// the `topK` largest probabilities (ties to the lower expert), divided by
/// their sum where the family renormalises. Computed in double from the
/// logits given.
public enum ExpertRouting {
    public static func route(logits: [Double], topK: Int, normalizes: Bool) -> [(expert: Int, weight: Double)] {
        let largest = logits.max() ?? 0
        let exps = logits.map { exp($0 - largest) }
        let total = exps.reduce(0, +)
        let ranked = exps.indices.sorted { exps[$0] != exps[$1] ? exps[$0] > exps[$1] : $0 < $1 }.prefix(topK)
        let chosen = ranked.map { (expert: $0, weight: exps[$0] / total) }
        guard normalizes else { return chosen }
        let sum = chosen.reduce(0) { $0 + $1.weight }
        return chosen.map { (expert: $0.expert, weight: $0.weight / sum) }
    }

    /// Each row of `x` through the experts its router logits pick: `apply(e, rows)` runs expert
    /// `e` on the rows routed to it, and each row's outputs are added weighted, in expert order
    /// (as transformers does), in float32.
    public static func mix(
        _ x: Matrix, logits: Matrix, topK: Int, normalizes: Bool, experts: Int, outputs: Int,
        apply: (Int, Matrix) -> Matrix
    ) -> Matrix {
        let routes = (0..<x.rows).map { r in
            route(logits: (0..<logits.cols).map { Double(logits[r, $0]) }, topK: topK, normalizes: normalizes)
        }
        var out = Matrix(rows: x.rows, cols: outputs)
        for e in 0..<experts {
            let chosen = rows(routedTo: e, routes)
            guard !chosen.isEmpty else { continue }
            let y = apply(e, x.gatherRows(chosen.map(\.row)))
            for (i, (row, weight)) in chosen.enumerated() {
                let w = Float(weight)
                for j in 0..<outputs { out[row, j] += y[i, j] * w }
            }
        }
        return out
    }

    /// The rows routed to `expert`, in row order, with their weights.
    public static func rows(
        routedTo expert: Int, _ routes: [[(expert: Int, weight: Double)]]
    ) -> [(row: Int, weight: Double)] {
        routes.enumerated().compactMap { r, route in
            route.first { $0.expert == expert }.map { (row: r, weight: $0.weight) }
        }
    }
}
