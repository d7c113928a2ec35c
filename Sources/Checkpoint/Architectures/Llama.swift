import LinearAlgebra

/// Llama 2/3/3.1/3.2 (`model_type: llama`) and Mistral, which has the same layout.
///
/// Separate q/k/v/o projections without biases; grouped-query attention
/// (`v_proj` is `[n_kv·dh, d]`, query head `h` reads KV head
/// `h / (n_heads / n_kv)`); RMSNorm; gated MLP
/// `down(act(gate(x)) ⊙ up(x))`. Qwen2 and Gemma 2 reuse this loader with
/// their differences (`DecoderOptions`).
public enum LlamaAdapter {
    public static let adapter = ArchitectureAdapter(name: "Llama", modelTypes: ["llama", "mistral"], load: { checkpoint in
        try load(checkpoint, options: DecoderOptions(architecture: checkpoint.config.modelType == "mistral" ? "Mistral" : "Llama"))
    })

    /// What a Llama-layout family changes.
    public struct DecoderOptions: Sendable {
        public var architecture: String
        /// Block 0's MLP norm.
        public var mlpNorm = "post_attention_layernorm"
        /// Gemma's RMSNorm multiplies by `1 + w`.
        public var normWeightOffset: Float = 0
        /// Gemma scales the embedding by `sqrt(d_model)` before use.
        public var scalesEmbedding = false
        public var activationKeys = ["hidden_act"]
        public var defaultActivation = "silu"
        public var tiedByDefault = false
        /// Config key for an explicit head width (Gemma 2, some Llama 3.2 configs).
        public var headDimKey = "head_dim"
    }

    public static func load(_ checkpoint: CheckpointDirectory, options: DecoderOptions) throws -> TransformerWeights {
        let config = try HFConfig(checkpoint.config, headDimKey: options.headDimKey)
        let shape = config.shape, d = shape.dModel, dMLP = config.dMLP
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let embedding = try checkpoint.tensor("embed_tokens.weight", shape: [shape.vocab, d], deferred: true)
        // An untied config without lm_head is a broken export, not a tied model.
        if !config.tied(default: options.tiedByDefault) && checkpoint.info("lm_head.weight") == nil {
            throw CheckpointError.missingTensor(folder: checkpoint.path, tensor: "lm_head.weight", expectedShape: [shape.vocab, d])
        }
        let unembedding = try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape)
        let mlp = FirstMLP(
            norm: .rmsNorm(weight: try checkpoint.vector("layers.0.\(options.mlpNorm).weight", count: d),
                           epsilon: try config.epsilon("rms_norm_eps", default: 1e-6), weightOffset: options.normWeightOffset),
            inWeight: try checkpoint.linear("layers.0.mlp.gate_proj.weight", out: dMLP, in: d),
            upWeight: try checkpoint.linear("layers.0.mlp.up_proj.weight", out: dMLP, in: d),
            outWeight: try checkpoint.linear("layers.0.mlp.down_proj.weight", out: d, in: dMLP),
            activation: try config.activation(keys: options.activationKeys, default: options.defaultActivation))
        let heads = try checkpoint.separateProjectionHeads(shape: shape, value: { "layers.\($0).self_attn.v_proj.weight" },
                                                           output: { "layers.\($0).self_attn.o_proj.weight" })
        return TransformerWeights(
            architecture: options.architecture, shape: shape, embedding: embedding,
            embeddingScale: options.scalesEmbedding ? Float(Double(d).squareRoot()) : 1,
            unembedding: unembedding, firstMLP: mlp, defaultK: defaultK(checkpoint, shape: shape),
            attentionOV: heads,
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }

    /// The paper scored Llama-3.1 with k = 3 / 25 for its 128k vocabulary. A
    /// Llama-layout checkpoint is Llama 3 when its config says `llama` and its
    /// vocabulary is Llama 3's (128,256 rows; Llama 2 has 32,000).
    static func defaultK(_ checkpoint: CheckpointDirectory, shape: ModelShape) -> DefaultK {
        checkpoint.config.modelType == "llama" && shape.vocab >= 128_000 ? .llama3(vocabulary: shape.vocab) : .standard
    }
}
