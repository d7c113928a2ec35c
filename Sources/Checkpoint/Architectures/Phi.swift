import LinearAlgebra

/// Phi (`model_type: phi`, Phi-1.5 and Phi-2).
///
/// Separate q/k/v projections and `dense` for the output, all with biases
/// (which the method does not use). Attention and MLP read the same
/// `input_layernorm` in parallel, so that is block 0's MLP norm. `lm_head`
/// is untied and has a bias, which does not enter either.
public enum PhiAdapter {
    public static let adapter = ArchitectureAdapter(name: "Phi", modelTypes: ["phi"], model: model)

    /// Every block: rotary positions on the first `partial_rotary_factor`
    /// of each head, attention and MLP in parallel on the one
    /// `input_layernorm`, and `lm_head`'s bias on the logits.
    @Sendable public static func model(_ checkpoint: CheckpointDirectory) throws -> ModelWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let width = shape.heads * shape.dHead
        let kvWidth = shape.kvHeads * shape.dHead
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        var runOnly = RunOnlyReads()
        _ = try runOnly.read {
            if checkpoint.config.has("qk_layernorm"), try checkpoint.config.bool("qk_layernorm") {
                throw CheckpointError.invalidConfig(
                    file: checkpoint.config.path, key: "qk_layernorm",
                    problem: "qk_layernorm true is not supported by the forward pass")
            }
        }
        let epsilon = try config.epsilon("layer_norm_eps", default: 1e-5)
        let activation = try config.activation(keys: ["hidden_act"], default: "gelu_new")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        let linear = try checkpoint.decoderLinears(
            [
                ("self_attn.q_proj", width, d), ("self_attn.k_proj", kvWidth, d), ("self_attn.v_proj", kvWidth, d),
                ("self_attn.dense", d, width), ("mlp.fc1", dMLP, d), ("mlp.fc2", d, dMLP),
            ], layers: shape.layers)
        @Sendable func norm(_ l: Int) throws -> Norm {
            try checkpoint.layerNorm("layers.\(l).input_layernorm", count: d, epsilon: epsilon)
        }
        var weights = ModelWeights(
            architecture: "Phi", shape: shape, embedding: embedding,
            rotary: try runOnly.read { try config.rotary(headWidth: shape.dHead) },
            maximumPositions: try runOnly.read { try checkpoint.config.int("max_position_embeddings") } ?? 0,
            finalNorm: try checkpoint.layerNorm("final_layernorm", count: d, epsilon: epsilon),
            unembedding: try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape),
            attention: { l in
                ModelWeights.Attention(
                    norm: try norm(l),
                    queryKeyValue: [
                        try linear(l, "self_attn.q_proj"), try linear(l, "self_attn.k_proj"),
                        try linear(l, "self_attn.v_proj"),
                    ],
                    output: try linear(l, "self_attn.dense"))
            },
            feedForward: { l in
                ModelWeights.FeedForward(
                    norm: try norm(l),
                    mlp: .plain(
                        input: try linear(l, "mlp.fc1"), output: try linear(l, "mlp.fc2"), activation: activation))
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
        weights.parallelBlocks = true
        if checkpoint.shape(of: "lm_head.bias") != nil {
            weights.unembeddingBias = try checkpoint.vector("lm_head.bias", count: shape.vocab)
        }
        weights.runError = runOnly.error
        return weights
    }
}
