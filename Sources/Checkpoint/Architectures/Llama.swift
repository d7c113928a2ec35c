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
        model: { checkpoint in
            var options = DecoderOptions(architecture: "Llama")
            if checkpoint.config.modelType == "mistral" {
                options.architecture = "Mistral"
                options.slidesEveryLayer = true
            }
            return try model(checkpoint, options: options)
        })

    /// A family with Llama's layout and its own options: one adapter over
    /// this loader (Qwen2, Qwen3, Gemma 2, Gemma 3, OLMo 2, and the mixtures
    /// of experts Mixtral, OLMoE, Qwen3-MoE).
    static func family(_ name: String, modelTypes: [String], options: DecoderOptions) -> ArchitectureAdapter {
        ArchitectureAdapter(name: name, modelTypes: modelTypes, model: { try model($0, options: options) })
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
        /// OLMo 2's and OLMoE's q/k norms span every head of the projection, not one head.
        public var queryKeyNormsSpanHeads = false
        /// Whether each branch normalises its input (false: OLMo 2, whose
        /// branches read the stream as it is and norm their outputs).
        public var normsBranchInputs = true
        /// Sliding layers' rotary base, where it differs from `rope_theta`
        /// (Gemma 3's `rope_local_base_freq`, or `rope_parameters.sliding_attention`).
        public var localRotaryBaseKey: String?
        /// Gemma 2's and Gemma 3's layer pattern without `layer_types`:
        /// every other layer slides, starting with layer 0.
        public var alternatesSlidingLayers = false
        /// Mistral's pattern without `layer_types`: every layer slides (when `sliding_window` is set).
        public var slidesEveryLayer = false
        /// Gemma's attention: scores scaled by `query_pre_attn_scalar^-½` and, where the config
        /// sets them, soft caps on the scores and the final logits (`attn_logit_softcapping`,
        /// `final_logit_softcapping`).
        public var gemmaAttention = false
        /// The MLP is a mixture of experts (`MixtureNames`); nil: one gated MLP.
        public var mixture: MixtureNames?

        public init(architecture: String) { self.architecture = architecture }
    }

    /// Where a mixture-of-experts family keeps its router and experts, and
    /// how it weighs them: `<block>.gate` (the router, `[experts, d]`) and
    /// `<block>.experts.E.<gate|up|down>` (each a gated MLP).
    public struct MixtureNames: Sendable {
        /// `mlp` (OLMoE, Qwen3-MoE) or `block_sparse_moe` (Mixtral).
        public var block = "mlp"
        public var gate = "gate_proj"
        public var up = "up_proj"
        public var down = "down_proj"
        /// The config key that says whether the top-k probabilities are
        /// divided by their sum (`norm_topk_prob`); nil: always (Mixtral).
        public var normalizesKey: String? = "norm_topk_prob"
        /// An expert's width (Qwen3-MoE: `moe_intermediate_size`; else `intermediate_size`).
        public var widthKey = "intermediate_size"

        public init() {}
    }

    /// Every block: RMSNorm, rotary positions over the whole head,
    /// grouped-query attention (biases on q/k/v where the checkpoint has
    /// them: Qwen2), the gated MLP or the mixture of gated experts.
    static func model(_ checkpoint: CheckpointDirectory, options: DecoderOptions) throws -> ModelWeights {
        let config = try HFConfig(checkpoint.config, headDimKey: options.headDimKey)
        let shape = config.shape
        let d = shape.dModel
        let dMLP = config.dMLP
        let dh = shape.dHead
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "layers.", declaredBy: "num_hidden_layers")
        let epsilon = try config.epsilon("rms_norm_eps", default: 1e-6)
        let activation = try config.activation(keys: options.activationKeys, default: options.defaultActivation)
        let (embedding, unembedding) = try embeddings(checkpoint, config: config, options: options)
        let experts = try options.mixture.map { try MixtureShape(checkpoint, names: $0, layers: shape.layers) }
        // The value and output projections first: a bad one is named whether the model is scored or run.
        let attentionTable: [(name: String, out: Int, in: Int)] = [
            ("self_attn.v_proj", shape.kvHeads * dh, d), ("self_attn.o_proj", d, shape.heads * dh),
            ("self_attn.q_proj", shape.heads * dh, d), ("self_attn.k_proj", shape.kvHeads * dh, d),
        ]
        let denseTable: [(name: String, out: Int, in: Int)] = [
            ("mlp.gate_proj", dMLP, d), ("mlp.up_proj", dMLP, d), ("mlp.down_proj", d, dMLP),
        ]
        let linear = try checkpoint.decoderLinears(
            layers: shape.layers,
            { l in attentionTable + ((experts.flatMap { $0.table(layer: l, d: d) }) ?? denseTable) })
        let offset = options.normWeightOffset
        @Sendable func norm(_ name: String) throws -> Norm {
            .rmsNorm(weight: try checkpoint.vector("\(name).weight", count: d), epsilon: epsilon, weightOffset: offset)
        }
        @Sendable func inputNorm(_ name: String) throws -> Norm {
            options.normsBranchInputs ? try norm(name) : .identity
        }
        @Sendable func gated(_ l: Int, _ prefix: String, _ names: (String, String, String)) throws -> ModelWeights.MLP {
            .gated(
                gate: try linear(l, "\(prefix).\(names.0)"), up: try linear(l, "\(prefix).\(names.1)"),
                down: try linear(l, "\(prefix).\(names.2)"), activation: activation)
        }
        var runOnly = RunOnlyReads()
        let windows = try (0..<shape.layers).map { l in
            try runOnly.read {
                try config.slidingWindow(
                    layer: l, everyLayer: options.slidesEveryLayer, alternating: options.alternatesSlidingLayers)
            } ?? nil
        }
        let localRotary = try options.localRotaryBaseKey.flatMap { key in
            try runOnly.read { try config.localRotary(headWidth: dh, key: key) } ?? nil
        }
        _ = try runOnly.read {
            guard checkpoint.config.has("clip_qkv") else { return }
            throw CheckpointError.invalidConfig(
                file: checkpoint.config.path, key: "clip_qkv", problem: "clip_qkv is not supported by the forward pass")
        }
        var weights = ModelWeights(
            architecture: options.architecture, shape: shape, embedding: embedding,
            rotary: try runOnly.read { try config.rotary(headWidth: dh) },
            maximumPositions: try runOnly.read { try checkpoint.config.int("max_position_embeddings") } ?? 0,
            finalNorm: try norm("norm"), unembedding: unembedding,
            attention: { l in
                var attention = ModelWeights.Attention(
                    norm: try inputNorm("layers.\(l).input_layernorm"),
                    queryKeyValue: [
                        try linear(l, "self_attn.q_proj"), try linear(l, "self_attn.k_proj"),
                        try linear(l, "self_attn.v_proj"),
                    ],
                    output: try linear(l, "self_attn.o_proj"))
                if options.normsBranchOutputs {
                    attention.outputNorm = try norm("layers.\(l).post_attention_layernorm")
                }
                attention.slidingWindow = windows[l]
                if options.queryKeyNorms {
                    let (q, k) = options.queryKeyNormsSpanHeads ? (shape.heads * dh, shape.kvHeads * dh) : (dh, dh)
                    attention.queryNorm = .rmsNorm(
                        weight: try checkpoint.vector("layers.\(l).self_attn.q_norm.weight", count: q),
                        epsilon: epsilon, weightOffset: offset)
                    attention.keyNorm = .rmsNorm(
                        weight: try checkpoint.vector("layers.\(l).self_attn.k_norm.weight", count: k),
                        epsilon: epsilon, weightOffset: offset)
                }
                if windows[l] != nil, let local = localRotary { attention.rotary = local }
                return attention
            },
            feedForward: { l in
                let mlp: ModelWeights.MLP
                if let experts, experts.isSparse(layer: l) {
                    let names = experts.names
                    let prefix = "\(names.block).experts"
                    mlp = .mixture(
                        ModelWeights.MixtureOfExperts(
                            router: try linear(l, "\(names.block).gate"),
                            experts: try (0..<experts.count).map { e in
                                try gated(l, "\(prefix).\(e)", (names.gate, names.up, names.down))
                            },
                            topK: experts.topK, normalizesTopK: experts.normalizesTopK))
                } else {
                    mlp = try gated(l, "mlp", ("gate_proj", "up_proj", "down_proj"))
                }
                return ModelWeights.FeedForward(
                    norm: try inputNorm("layers.\(l).\(options.mlpNorm)"), mlp: mlp,
                    outputNorm: options.normsBranchOutputs ? try norm("layers.\(l).post_feedforward_layernorm") : nil)
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
        if options.scalesEmbedding { weights.embeddingScale = Float(Double(d).squareRoot()) }
        // A branch that reads the stream un-normed is normed only on its way out: that is what a later head reads.
        weights.sourcesIncludeMLPOutputNorm = !options.normsBranchInputs
        weights.defaultK = defaultK(checkpoint, shape: shape)
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
        if options.gemmaAttention {
            weights.attentionScale = try positive("query_pre_attn_scalar").map { 1 / $0.squareRoot() }
            weights.attentionSoftcap = try positive("attn_logit_softcapping")
            weights.finalSoftcap = try positive("final_logit_softcapping")
        }
        weights.runError = runOnly.error
        return weights
    }

    /// A mixture-of-experts family's counts from config.json: experts
    /// (`num_local_experts` or `num_experts`), experts per token
    /// (`num_experts_per_tok`), the expert width, whether the top-k weights
    /// are renormalised, and which layers are sparse (Qwen3-MoE's
    /// `mlp_only_layers` and `decoder_sparse_step`; every layer elsewhere).
    struct MixtureShape: Sendable {
        let names: MixtureNames
        let count: Int
        let topK: Int
        let width: Int
        let normalizesTopK: Bool
        let denseLayers: Set<Int>
        let sparseStep: Int

        init(_ checkpoint: CheckpointDirectory, names: MixtureNames, layers: Int) throws {
            let file = checkpoint.config
            self.names = names
            let countKey = ["num_local_experts", "num_experts"].first(where: file.has) ?? "num_local_experts"
            count = try file.int(countKey)
            topK = try file.int("num_experts_per_tok")
            guard count >= 1, count <= 4096 else {
                throw CheckpointError.invalidConfig(
                    file: file.path, key: countKey, problem: "\(countKey) \(count) is not between 1 and 4096")
            }
            guard topK >= 1, topK <= count else {
                throw CheckpointError.invalidConfig(
                    file: file.path, key: "num_experts_per_tok",
                    problem: "num_experts_per_tok \(topK) is not between 1 and \(countKey) (\(count))")
            }
            width = try file.int(names.widthKey)
            guard width >= 1, width <= ModelShape.Limits.width else {
                throw CheckpointError.invalidConfig(
                    file: file.path, key: names.widthKey,
                    problem: "\(names.widthKey) \(width) is not between 1 and \(ModelShape.Limits.width)")
            }
            normalizesTopK = try names.normalizesKey.map { try file.bool($0, default: false) } ?? true
            denseLayers = Set(file.has("mlp_only_layers") ? try file.ints("mlp_only_layers") : [])
            sparseStep = file.has("decoder_sparse_step") ? try file.int("decoder_sparse_step") : 1
            guard sparseStep >= 1 else {
                throw CheckpointError.invalidConfig(
                    file: file.path, key: "decoder_sparse_step", problem: "decoder_sparse_step must be at least 1")
            }
        }

        func isSparse(layer: Int) -> Bool { !denseLayers.contains(layer) && (layer + 1) % sparseStep == 0 }

        /// Layer `layer`'s MLP tensors: the router and every expert's three
        /// maps, or the dense MLP's where the layer is not sparse (nil).
        func table(layer: Int, d: Int) -> [(name: String, out: Int, in: Int)]? {
            guard isSparse(layer: layer) else { return nil }
            let prefix = "\(names.block).experts"
            return [("\(names.block).gate", count, d)]
                + (0..<count).flatMap { e in
                    [
                        ("\(prefix).\(e).\(names.gate)", width, d), ("\(prefix).\(e).\(names.up)", width, d),
                        ("\(prefix).\(e).\(names.down)", d, width),
                    ]
                }
        }
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

    /// The paper scored Llama-3.1 with k = 3 / 25 for its 128k vocabulary. A
    /// Llama-layout checkpoint is Llama 3 when its config says `llama` and its
    /// vocabulary is Llama 3's (128,256 rows; Llama 2 has 32,000).
    static func defaultK(_ checkpoint: CheckpointDirectory, shape: ModelShape) -> DefaultK {
        checkpoint.config.modelType == "llama" && shape.vocab >= 128_000 ? .llama3(vocabulary: shape.vocab) : .standard
    }
}
