import LinearAlgebra

/// Phi (`model_type: phi`, Phi-1.5 and Phi-2).
///
/// Separate q/k/v projections and `dense` for the output, all with biases
/// (which the method does not use). Attention and MLP read the same
/// `input_layernorm` in parallel, so that is block 0's MLP norm. `lm_head`
/// is untied and has a bias, which does not enter either.
public enum PhiAdapter {
    public static let adapter = ArchitectureAdapter(name: "Phi", modelTypes: ["phi"], load: load, decoder: decoder)

    @Sendable public static func load(_ checkpoint: CheckpointDirectory) throws -> TransformerWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        let unembedding = try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape)
        let mlp = try checkpoint.layerNormMLP(
            norm: "layers.0.input_layernorm", up: "layers.0.mlp.fc1", down: "layers.0.mlp.fc2",
            d: d, dMLP: dMLP, epsilon: try config.epsilon("layer_norm_eps", default: 1e-5),
            activation: try config.activation(keys: ["hidden_act"], default: "gelu_new"))
        let heads = try checkpoint.separateProjectionHeads(
            shape: shape, value: { "layers.\($0).self_attn.v_proj.weight" },
            output: { "layers.\($0).self_attn.dense.weight" })
        return TransformerWeights(
            architecture: "Phi", shape: shape, embedding: embedding, unembedding: unembedding, firstMLP: mlp,
            attentionOV: heads,
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }

    /// Every block, for the forward pass: rotary positions on the first
    /// `partial_rotary_factor` of each head, attention and MLP in parallel on
    /// the one `input_layernorm`, and `lm_head`'s bias on the logits.
    @Sendable public static func decoder(_ checkpoint: CheckpointDirectory) throws -> DecoderWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let width = shape.heads * shape.dHead
        let kvWidth = shape.kvHeads * shape.dHead
        if checkpoint.config.has("qk_layernorm"), try checkpoint.config.bool("qk_layernorm") {
            throw CheckpointError.invalidConfig(
                file: checkpoint.config.path, key: "qk_layernorm",
                problem: "qk_layernorm true is not supported by the forward pass")
        }
        let epsilon = try config.epsilon("layer_norm_eps", default: 1e-5)
        let activation = try config.activation(keys: ["hidden_act"], default: "gelu_new")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        let linear = try checkpoint.decoderLinears(
            [
                ("self_attn.q_proj", width, d), ("self_attn.k_proj", kvWidth, d), ("self_attn.v_proj", kvWidth, d),
                ("self_attn.dense", d, width), ("mlp.fc1", dMLP, d), ("mlp.fc2", d, dMLP),
            ], layers: shape.layers)
        var weights = DecoderWeights(
            shape: shape, embedding: embedding, positions: nil, rotary: try config.rotary(headWidth: shape.dHead),
            maximumPositions: try checkpoint.config.int("max_position_embeddings"),
            finalNorm: try checkpoint.layerNorm("final_layernorm", count: d, epsilon: epsilon),
            unembedding: try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape),
            block: { l in
                let norm = try checkpoint.layerNorm("layers.\(l).input_layernorm", count: d, epsilon: epsilon)
                var block = DecoderWeights.Block(
                    attentionNorm: norm,
                    queryKeyValue: [
                        try linear(l, "self_attn.q_proj"), try linear(l, "self_attn.k_proj"),
                        try linear(l, "self_attn.v_proj"),
                    ],
                    output: try linear(l, "self_attn.dense"),
                    mlpNorm: norm, mlpIn: try linear(l, "mlp.fc1"), mlpOut: try linear(l, "mlp.fc2"),
                    activation: activation)
                block.parallel = true
                return block
            })
        if checkpoint.shape(of: "lm_head.bias") != nil {
            weights.unembeddingBias = try checkpoint.vector("lm_head.bias", count: shape.vocab)
        }
        return weights
    }
}
