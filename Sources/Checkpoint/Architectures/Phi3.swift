import LinearAlgebra

/// Phi-3 and Phi-4-mini (`model_type: phi3`): Llama's RMSNorm and gated SiLU
/// MLP with fused projections — `qkv_proj` holds `[q | k | v]` rows (queries of
/// every head, then keys and values of every KV head) and `gate_up_proj`
/// `[gate | up]` — and rotary positions on `partial_rotary_factor` of each
/// head. Long-rope scaling (`su`, `longrope`) is refused by name when the
/// model is run; the static analysis does not use positions.
public enum Phi3Adapter {
    public static let adapter = ArchitectureAdapter(name: "Phi-3", modelTypes: ["phi3"], model: model)

    /// The two halves of a layer's `gate_up_proj` (`[2·d_mlp, d]`), each `[d_mlp, d]`.
    static func gateAndUp(
        _ checkpoint: CheckpointDirectory, layer: Int, d: Int, dMLP: Int
    ) throws -> (FloatTensor, FloatTensor) {
        let fused = try checkpoint.tensor("layers.\(layer).mlp.gate_up_proj.weight", shape: [2 * dMLP, d])
        func half(_ index: Int) -> FloatTensor {
            FloatTensor(shape: [dMLP, d], converting: dMLP * d) { range, out in
                fused.withValues {
                    (out).update(from: $0.baseAddress! + index * dMLP * d + range.lowerBound, count: range.count)
                }
            }
        }
        return (half(0), half(1))
    }

    static func model(_ checkpoint: CheckpointDirectory) throws -> ModelWeights {
        let config = try HFConfig(checkpoint.config, headDimKey: "head_dim")
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let dh = shape.dHead
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let epsilon = try config.epsilon("rms_norm_eps", default: 1e-5)
        let activation = try config.activation(keys: ["hidden_act"], default: "silu")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        let qkvRows = (shape.heads + 2 * shape.kvHeads) * dh
        try checkpoint.requireTensors(
            (0..<shape.layers).flatMap { l in
                [
                    ("layers.\(l).self_attn.qkv_proj.weight", [qkvRows, d]),
                    ("layers.\(l).self_attn.o_proj.weight", [d, shape.heads * dh]),
                    ("layers.\(l).mlp.gate_up_proj.weight", [2 * dMLP, d]),
                    ("layers.\(l).mlp.down_proj.weight", [d, dMLP]),
                ]
            })
        @Sendable func norm(_ name: String) throws -> Norm {
            .rmsNorm(weight: try checkpoint.vector("\(name).weight", count: d), epsilon: epsilon)
        }
        @Sendable func linear(_ name: String, _ shape: [Int]) throws -> ModelWeights.Linear {
            ModelWeights.Linear(weight: try checkpoint.tensor(name, shape: shape), storedOutIn: true)
        }
        var runOnly = RunOnlyReads()
        let windows = try (0..<shape.layers).map { l in
            try runOnly.read { try config.slidingWindow(layer: l, everyLayer: true) } ?? nil
        }
        var weights = ModelWeights(
            architecture: "Phi-3", shape: shape, embedding: embedding,
            rotary: try runOnly.read { try config.rotary(headWidth: dh) },
            maximumPositions: try runOnly.read { try checkpoint.config.int("max_position_embeddings") } ?? 0,
            finalNorm: try norm("norm"),
            unembedding: try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape),
            attention: { l in
                var attention = ModelWeights.Attention(
                    norm: try norm("layers.\(l).input_layernorm"),
                    queryKeyValue: [try linear("layers.\(l).self_attn.qkv_proj.weight", [qkvRows, d])],
                    output: try linear("layers.\(l).self_attn.o_proj.weight", [d, shape.heads * dh]))
                attention.slidingWindow = windows[l]
                return attention
            },
            feedForward: { l in
                let (gate, up) = try gateAndUp(checkpoint, layer: l, d: d, dMLP: dMLP)
                return ModelWeights.FeedForward(
                    norm: try norm("layers.\(l).post_attention_layernorm"),
                    mlp: .gated(
                        gate: ModelWeights.Linear(weight: gate, storedOutIn: true),
                        up: ModelWeights.Linear(weight: up, storedOutIn: true),
                        down: try linear("layers.\(l).mlp.down_proj.weight", [d, dMLP]), activation: activation))
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
        weights.runError = runOnly.error
        return weights
    }
}
