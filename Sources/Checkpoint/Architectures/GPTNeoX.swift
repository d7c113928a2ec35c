import LinearAlgebra

/// GPT-NeoX and Pythia (`model_type: gpt_neox`).
///
/// QKV is one `[3d, d]` linear whose rows are interleaved per head: head `i`
/// owns rows `i·3·dh ..< (i+1)·3·dh` as query, key, value. The MLP branch
/// reads `post_attention_layernorm` (the parallel residual does not change
/// what the MLP sees). The output embedding `embed_out` is untied.
public enum GPTNeoXAdapter {
    public static let adapter = ArchitectureAdapter(
        name: "GPT-NeoX (Pythia)", modelTypes: ["gpt_neox"], model: model)

    /// Every block: rotary positions on the first `rotary_pct` of each head,
    /// the parallel residual (`use_parallel_residual`, default true),
    /// LayerNorms and linears with biases.
    @Sendable public static func model(_ checkpoint: CheckpointDirectory) throws -> ModelWeights {
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
        let epsilon = try config.epsilon("layer_norm_eps", default: 1e-5)
        let activation = try config.activation(keys: ["hidden_act"], default: "gelu")
        let embedding = try checkpoint.tensor("embed_in.weight", shape: [shape.vocab, d], deferred: true)
        let linear = try checkpoint.decoderLinears(
            [
                ("attention.query_key_value", 3 * d, d), ("attention.dense", d, d),
                ("mlp.dense_h_to_4h", dMLP, d), ("mlp.dense_4h_to_h", d, dMLP),
            ], layers: shape.layers)
        var runOnly = RunOnlyReads()
        let rotary = try runOnly.read {
            try config.rotary(headWidth: shape.dHead, thetaKeys: ["rotary_emb_base"], fractionKeys: ["rotary_pct"])
        }
        var weights = ModelWeights(
            architecture: "GPT-NeoX", shape: shape, embedding: embedding, rotary: rotary,
            maximumPositions: try runOnly.read { try checkpoint.config.int("max_position_embeddings") } ?? 0,
            finalNorm: try checkpoint.layerNorm("final_layer_norm", count: d, epsilon: epsilon),
            unembedding: try checkpoint.unembedding("embed_out.weight", embedding: embedding, shape: shape),
            attention: { l in
                var attention = ModelWeights.Attention(
                    norm: try checkpoint.layerNorm("layers.\(l).input_layernorm", count: d, epsilon: epsilon),
                    queryKeyValue: [try linear(l, "attention.query_key_value")],
                    output: try linear(l, "attention.dense"))
                attention.interleavedPerHead = true
                return attention
            },
            feedForward: { l in
                ModelWeights.FeedForward(
                    norm: try checkpoint.layerNorm("layers.\(l).post_attention_layernorm", count: d, epsilon: epsilon),
                    mlp: .plain(
                        input: try linear(l, "mlp.dense_h_to_4h"), output: try linear(l, "mlp.dense_4h_to_h"),
                        activation: activation))
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
        weights.parallelBlocks =
            checkpoint.config.has("use_parallel_residual") ? try checkpoint.config.bool("use_parallel_residual") : true
        weights.runError = runOnly.error
        return weights
    }
}
