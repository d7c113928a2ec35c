import LinearAlgebra

/// Llama 2/3/3.1/3.2 (`model_type: llama`) and Mistral, which has the same layout.
///
/// Separate q/k/v/o projections without biases; grouped-query attention
/// (`v_proj` is `[n_kv·dh, d]`, query head `h` reads KV head
/// `h / (n_heads / n_kv)`); RMSNorm; gated MLP
/// `down(act(gate(x)) ⊙ up(x))`. Qwen2 and Gemma 2 reuse this loader with
/// their differences (`DecoderOptions`).
public enum LlamaAdapter {
    public static let adapter = ArchitectureAdapter(
        name: "Llama", modelTypes: ["llama", "mistral"],
        load: { checkpoint in
            try load(checkpoint, options: options(checkpoint))
        },
        decoder: { checkpoint in
            try decoder(checkpoint, options: options(checkpoint))
        })

    /// A family with Llama's layout and its own options: one adapter over
    /// this loader (Qwen2, Qwen3, Gemma 2, Gemma 3, OLMo 2).
    static func family(_ name: String, modelTypes: [String], options: DecoderOptions) -> ArchitectureAdapter {
        ArchitectureAdapter(
            name: name, modelTypes: modelTypes, load: { try load($0, options: options) },
            decoder: { try decoder($0, options: options) })
    }

    static func options(_ checkpoint: CheckpointDirectory) -> DecoderOptions {
        DecoderOptions(architecture: checkpoint.config.modelType == "mistral" ? "Mistral" : "Llama")
    }

    /// What a Llama-layout family changes.
    public struct DecoderOptions: Sendable {
        public var architecture: String
        /// Block 0's MLP norm.
        public var mlpNorm = "post_attention_layernorm"
        /// Gemma 2 norms each branch's output before it joins the stream
        /// (`post_attention_layernorm`, `post_feedforward_layernorm`).
        public var normsBranchOutputs = false
        /// Gemma's RMSNorm multiplies by `1 + w`.
        public var normWeightOffset: Float = 0
        /// Gemma scales the embedding by `sqrt(d_model)` before use.
        public var scalesEmbedding = false
        public var activationKeys = ["hidden_act"]
        public var defaultActivation = "silu"
        public var tiedByDefault = false
        /// Config key for an explicit head width (Gemma 2, some Llama 3.2 configs).
        public var headDimKey = "head_dim"
        /// RMSNorms over each query and key head (`self_attn.q_norm`, `k_norm`: Gemma 3).
        public var queryKeyNorms = false
        /// OLMo 2's q/k norms span every head of the projection, not one head.
        public var queryKeyNormsSpanHeads = false
        /// Whether each branch normalises its input (false: OLMo 2, whose
        /// branches read the stream as it is and norm their outputs).
        public var normsBranchInputs = true
        /// Sliding layers' rotary base, where it differs from `rope_theta`
        /// (Gemma 3's `rope_local_base_freq`, or `rope_parameters.sliding_attention`).
        public var localRotaryBaseKey: String?
    }

    public static func load(_ checkpoint: CheckpointDirectory, options: DecoderOptions) throws -> TransformerWeights {
        let config = try HFConfig(checkpoint.config, headDimKey: options.headDimKey)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let (embedding, unembedding) = try embeddings(checkpoint, config: config, options: options)
        let epsilon = try config.epsilon("rms_norm_eps", default: 1e-6)
        var mlp = FirstMLP(
            norm: options.normsBranchInputs
                ? .rmsNorm(
                    weight: try checkpoint.vector("layers.0.\(options.mlpNorm).weight", count: d), epsilon: epsilon,
                    weightOffset: options.normWeightOffset)
                : .identity,
            inWeight: try checkpoint.linear("layers.0.mlp.gate_proj.weight", out: dMLP, in: d),
            upWeight: try checkpoint.linear("layers.0.mlp.up_proj.weight", out: dMLP, in: d),
            outWeight: try checkpoint.linear("layers.0.mlp.down_proj.weight", out: d, in: dMLP),
            activation: try config.activation(keys: options.activationKeys, default: options.defaultActivation))
        if !options.normsBranchInputs {
            // What joins the stream is the normed branch output: that is what a later head reads.
            mlp.outputNorm = .rmsNorm(
                weight: try checkpoint.vector("layers.0.post_feedforward_layernorm.weight", count: d), epsilon: epsilon)
        }
        let heads = try checkpoint.separateProjectionHeads(
            shape: shape, value: { "layers.\($0).self_attn.v_proj.weight" },
            output: { "layers.\($0).self_attn.o_proj.weight" })
        return TransformerWeights(
            architecture: options.architecture, shape: shape, embedding: embedding,
            embeddingScale: options.scalesEmbedding ? Float(Double(d).squareRoot()) : 1,
            unembedding: unembedding, firstMLP: mlp, defaultK: defaultK(checkpoint, shape: shape),
            attentionOV: heads,
            checkUnchanged: { try checkpoint.checkUnchanged() })
    }

    /// `W_E` (converted where read) and `W_U`. An untied config without
    /// lm_head is a broken export, not a tied model.
    static func embeddings(
        _ checkpoint: CheckpointDirectory, config: HFConfig, options: DecoderOptions
    ) throws -> (FloatTensor, FloatTensor) {
        let shape = config.shape
        let embedding = try checkpoint.tensor(
            "embed_tokens.weight", shape: [shape.vocab, shape.dModel], deferred: true)
        if !config.tied(default: options.tiedByDefault) && checkpoint.shape(of: "lm_head.weight") == nil {
            throw CheckpointError.missingTensor(
                folder: checkpoint.path, tensor: "lm_head.weight", expectedShape: [shape.vocab, shape.dModel])
        }
        return (embedding, try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape))
    }

    /// Every block, for the forward pass: RMSNorm, rotary positions over
    /// the whole head, grouped-query attention (biases on q/k/v where the
    /// checkpoint has them: Qwen2), the gated MLP.
    static func decoder(_ checkpoint: CheckpointDirectory, options: DecoderOptions) throws -> DecoderWeights {
        let config = try HFConfig(checkpoint.config, headDimKey: options.headDimKey)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let dh = shape.dHead
        let epsilon = try config.epsilon("rms_norm_eps", default: 1e-6)
        let activation = try config.activation(keys: options.activationKeys, default: options.defaultActivation)
        let (embedding, unembedding) = try embeddings(checkpoint, config: config, options: options)
        let linear = try checkpoint.decoderLinears(
            [
                ("self_attn.q_proj", shape.heads * dh, d), ("self_attn.k_proj", shape.kvHeads * dh, d),
                ("self_attn.v_proj", shape.kvHeads * dh, d), ("self_attn.o_proj", d, shape.heads * dh),
                ("mlp.gate_proj", dMLP, d), ("mlp.up_proj", dMLP, d), ("mlp.down_proj", d, dMLP),
            ],
            layers: shape.layers)
        let offset = options.normWeightOffset
        @Sendable func norm(_ name: String) throws -> Norm {
            .rmsNorm(weight: try checkpoint.vector("\(name).weight", count: d), epsilon: epsilon, weightOffset: offset)
        }
        @Sendable func inputNorm(_ name: String) throws -> Norm {
            options.normsBranchInputs ? try norm(name) : .identity
        }
        let windows = try (0..<shape.layers).map { try config.slidingWindow(layer: $0) }
        let localRotary = try options.localRotaryBaseKey.flatMap { try config.localRotary(headWidth: dh, key: $0) }
        var weights = DecoderWeights(
            shape: shape, embedding: embedding, positions: nil, rotary: try config.rotary(headWidth: dh),
            maximumPositions: try checkpoint.config.int("max_position_embeddings"),
            finalNorm: try norm("norm"), unembedding: unembedding,
            block: { l in
                var block = DecoderWeights.Block(
                    attentionNorm: try inputNorm("layers.\(l).input_layernorm"),
                    queryKeyValue: [
                        try linear(l, "self_attn.q_proj"), try linear(l, "self_attn.k_proj"),
                        try linear(l, "self_attn.v_proj"),
                    ],
                    output: try linear(l, "self_attn.o_proj"),
                    mlpNorm: try inputNorm("layers.\(l).\(options.mlpNorm)"),
                    mlpIn: try linear(l, "mlp.up_proj"), mlpGate: try linear(l, "mlp.gate_proj"),
                    mlpOut: try linear(l, "mlp.down_proj"),
                    activation: activation)
                if options.normsBranchOutputs {
                    block.attentionOutputNorm = try norm("layers.\(l).post_attention_layernorm")
                    block.mlpOutputNorm = try norm("layers.\(l).post_feedforward_layernorm")
                }
                block.slidingWindow = windows[l]
                if options.queryKeyNorms {
                    let (q, k) = options.queryKeyNormsSpanHeads ? (shape.heads * dh, shape.kvHeads * dh) : (dh, dh)
                    block.queryNorm = .rmsNorm(
                        weight: try checkpoint.vector("layers.\(l).self_attn.q_norm.weight", count: q),
                        epsilon: epsilon, weightOffset: offset)
                    block.keyNorm = .rmsNorm(
                        weight: try checkpoint.vector("layers.\(l).self_attn.k_norm.weight", count: k),
                        epsilon: epsilon, weightOffset: offset)
                }
                if windows[l] != nil, let local = localRotary { block.rotary = local }
                return block
            })
        if options.scalesEmbedding { weights.embeddingScale = Float(Double(d).squareRoot()) }
        let file = checkpoint.config
        func positive(_ key: String) throws -> Float? {
            guard file.has(key) else { return nil }
            let value = try file.double(key)
            guard value > 0, value.isFinite else {
                throw CheckpointError.invalidConfig(
                    file: file.path, key: key, problem: "\(key) must be a positive number, not \(value)")
            }
            return Float(value)
        }
        weights.attentionScale = try positive("query_pre_attn_scalar").map { 1 / $0.squareRoot() }
        weights.attentionSoftcap = try positive("attn_logit_softcapping")
        weights.finalSoftcap = try positive("final_logit_softcapping")
        return weights
    }

    /// The paper scored Llama-3.1 with k = 3 / 25 for its 128k vocabulary. A
    /// Llama-layout checkpoint is Llama 3 when its config says `llama` and its
    /// vocabulary is Llama 3's (128,256 rows; Llama 2 has 32,000).
    static func defaultK(_ checkpoint: CheckpointDirectory, shape: ModelShape) -> DefaultK {
        checkpoint.config.modelType == "llama" && shape.vocab >= 128_000 ? .llama3(vocabulary: shape.vocab) : .standard
    }
}
