import LinearAlgebra

/// GPT-NeoX and Pythia (`model_type: gpt_neox`).
///
/// QKV is one `[3d, d]` linear whose rows are interleaved per head: head `i`
/// owns rows `i·3·dh ..< (i+1)·3·dh` as query, key, value. The MLP branch
/// reads `post_attention_layernorm` (the parallel residual does not change
/// what the MLP sees). The output embedding `embed_out` is untied.
public enum GPTNeoXAdapter {
    public static let adapter = ArchitectureAdapter(
        name: "GPT-NeoX (Pythia)", modelTypes: ["gpt_neox"], load: load, decoder: decoder)

    @Sendable public static func load(_ checkpoint: CheckpointDirectory) throws -> TransformerWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        guard shape.hasPlainHeads else {
            throw CheckpointError.invalidConfig(
                file: checkpoint.config.path, key: "num_attention_heads",
                problem: "GPT-NeoX has one KV head per query head and head width hidden_size / num_attention_heads")
        }
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let embedding = try checkpoint.tensor("embed_in.weight", shape: [shape.vocab, d], deferred: true)
        let unembedding = try checkpoint.unembedding("embed_out.weight", embedding: embedding, shape: shape)
        let mlp = try checkpoint.layerNormMLP(
            norm: "layers.0.post_attention_layernorm", up: "layers.0.mlp.dense_h_to_4h",
            down: "layers.0.mlp.dense_4h_to_h", d: d, dMLP: dMLP,
            epsilon: try config.epsilon("layer_norm_eps", default: 1e-5),
            activation: try config.activation(keys: ["hidden_act"], default: "gelu"))
        try checkpoint.requireTensors(
            (0..<shape.layers).flatMap { l in
                [
                    ("layers.\(l).attention.query_key_value.weight", [3 * d, d]),
                    ("layers.\(l).attention.dense.weight", [d, d]),
                ]
            })
        return TransformerWeights(
            architecture: "GPT-NeoX", shape: shape, embedding: embedding, unembedding: unembedding, firstMLP: mlp,
            attentionOV: { layer in
                let qkv = try checkpoint.tensor("layers.\(layer).attention.query_key_value.weight", shape: [3 * d, d])
                let dense = try checkpoint.tensor("layers.\(layer).attention.dense.weight", shape: [d, d])
                return qkv.withMatrix { qkv in
                    dense.withMatrix { dense in
                        shape.headsFromLinear(
                            value: qkv, valueRowStart: { $0 * 3 * shape.dHead + 2 * shape.dHead }, output: dense)
                    }
                }
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }

    /// Every block, for the forward pass: rotary positions on the first
    /// `rotary_pct` of each head, the parallel residual (`use_parallel_residual`,
    /// default true), LayerNorms and linears with biases.
    @Sendable public static func decoder(_ checkpoint: CheckpointDirectory) throws -> DecoderWeights {
        let config = try HFConfig(checkpoint.config)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let epsilon = try config.epsilon("layer_norm_eps", default: 1e-5)
        let activation = try config.activation(keys: ["hidden_act"], default: "gelu")
        let parallel =
            checkpoint.config.has("use_parallel_residual") ? try checkpoint.config.bool("use_parallel_residual") : true
        let embedding = try checkpoint.tensor("embed_in.weight", shape: [shape.vocab, d], deferred: true)
        let linear = try checkpoint.decoderLinears(
            [
                ("attention.query_key_value", 3 * d, d), ("attention.dense", d, d),
                ("mlp.dense_h_to_4h", dMLP, d), ("mlp.dense_4h_to_h", d, dMLP),
            ], layers: shape.layers)
        return DecoderWeights(
            shape: shape, embedding: embedding, positions: nil,
            rotary: try config.rotary(
                headWidth: shape.dHead, thetaKeys: ["rotary_emb_base"], fractionKeys: ["rotary_pct"]),
            maximumPositions: try checkpoint.config.int("max_position_embeddings"),
            finalNorm: try checkpoint.layerNorm("final_layer_norm", count: d, epsilon: epsilon),
            unembedding: try checkpoint.unembedding("embed_out.weight", embedding: embedding, shape: shape),
            block: { l in
                var block = DecoderWeights.Block(
                    attentionNorm: try checkpoint.layerNorm("layers.\(l).input_layernorm", count: d, epsilon: epsilon),
                    queryKeyValue: [try linear(l, "attention.query_key_value")],
                    output: try linear(l, "attention.dense"),
                    mlpNorm: try checkpoint.layerNorm(
                        "layers.\(l).post_attention_layernorm", count: d, epsilon: epsilon),
                    mlpIn: try linear(l, "mlp.dense_h_to_4h"), mlpOut: try linear(l, "mlp.dense_4h_to_h"),
                    activation: activation)
                block.interleavedPerHead = true
                block.parallel = parallel
                return block
            })
    }
}
