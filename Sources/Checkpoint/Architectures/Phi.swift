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
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d])
        let unembedding = try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape)
        let mlp = FirstMLP(
            norm: .layerNorm(weight: try checkpoint.vector("layers.0.input_layernorm.weight", count: d),
                             bias: try checkpoint.vector("layers.0.input_layernorm.bias", count: d),
                             epsilon: try config.epsilon("layer_norm_eps", default: 1e-5)),
            inWeight: try checkpoint.linear("layers.0.mlp.fc1.weight", out: dMLP, in: d),
            inBias: try checkpoint.vector("layers.0.mlp.fc1.bias", count: dMLP),
            outWeight: try checkpoint.linear("layers.0.mlp.fc2.weight", out: d, in: dMLP),
            outBias: try checkpoint.vector("layers.0.mlp.fc2.bias", count: d),
            activation: try config.activation(keys: ["hidden_act"], default: "gelu_new"))
        let kvWidth = shape.kvHeads * shape.dHead, qWidth = shape.heads * shape.dHead
        try checkpoint.requireTensors((0..<shape.layers).flatMap { l in
            [("layers.\(l).self_attn.v_proj.weight", [kvWidth, d]), ("layers.\(l).self_attn.dense.weight", [d, qWidth])]
        })
        return TransformerWeights(
            architecture: "Phi", shape: shape, embedding: embedding, unembedding: unembedding, firstMLP: mlp,
            attentionOV: { layer in
                let v = try checkpoint.tensor("layers.\(layer).self_attn.v_proj.weight", shape: [kvWidth, d])
                let o = try checkpoint.tensor("layers.\(layer).self_attn.dense.weight", shape: [d, qWidth])
                return v.withMatrix { v in o.withMatrix { o in
                    shape.headsFromLinear(value: v, valueRowStart: { $0 * shape.dHead }, output: o)
                } }
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }
}
