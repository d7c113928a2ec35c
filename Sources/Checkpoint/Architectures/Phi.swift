import LinearAlgebra

/// Phi (`model_type: phi`, Phi-1.5 and Phi-2).
///
/// Separate q/k/v projections and `dense` for the output, all with biases
/// (which the method does not use). Attention and MLP read the same
/// `input_layernorm` in parallel, so that is block 0's MLP norm. `lm_head`
/// is untied and has a bias, which does not enter either.
public enum PhiAdapter {
    public static let adapter = ArchitectureAdapter(name: "Phi", modelTypes: ["phi"], load: load)

    @Sendable public static func load(_ checkpoint: CheckpointDirectory) throws -> TransformerWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape, d = shape.dModel, dMLP = config.dMLP
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        let unembedding = try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape)
        let mlp = try checkpoint.layerNormMLP(norm: "layers.0.input_layernorm", up: "layers.0.mlp.fc1", down: "layers.0.mlp.fc2",
                                              d: d, dMLP: dMLP, epsilon: try config.epsilon("layer_norm_eps", default: 1e-5),
                                              activation: try config.activation(keys: ["hidden_act"], default: "gelu_new"))
        let heads = try checkpoint.separateProjectionHeads(shape: shape, value: { "layers.\($0).self_attn.v_proj.weight" },
                                                           output: { "layers.\($0).self_attn.dense.weight" })
        return TransformerWeights(
            architecture: "Phi", shape: shape, embedding: embedding, unembedding: unembedding, firstMLP: mlp,
            attentionOV: heads,
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }
}
