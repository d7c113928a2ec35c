import Core
import Foundation

/// A GGUF file seen as the Hugging Face checkpoint it was converted from:
/// config.json's keys from the metadata, tensors under transformers' names in
/// transformers' layout, so the families' adapters read it unchanged.
///
/// llama.cpp's converter changes what is undone here: it renames tensors
/// (`blk.N.attn_q.weight`), it permutes the rows of the Llama family's Q and
/// K projections into its rotary layout (each head's two halves
/// interleaved), it stores Gemma's RMSNorm weights as `1 + w`, GPT-2's
/// `Conv1D` weights transposed, and GPT-NeoX's fused QKV as all queries, all
/// keys, all values instead of (query, key, value) per head.
public struct GGUFCheckpoint: Sendable {
    public let file: GGUFFile
    /// config.json as transformers would write it for this model.
    public let config: ConfigFile
    /// The `model_type` the file's `general.architecture` maps to.
    public let modelType: String
    let tensors: [String: (info: GGUFTensorInfo, change: Change)]

    /// How a stored tensor differs from transformers' layout.
    enum Change: Sendable {
        case none
        /// Rows of each of `heads` heads stored as (pairs of the two rotary halves).
        case rotaryRows(heads: Int)
        /// Stored `1 + w`.
        case plusOne
        /// A `[rows, cols]` weight stored as `[cols, rows]` (GPT-2's `Conv1D`).
        case transposed
        /// Rows of a fused QKV stored part by part (all heads' queries, then
        /// keys, then values) where transformers keeps (query, key, value)
        /// per head.
        case queryKeyValueByPart(heads: Int)
        /// Expert `index`'s `[out, in]` matrix of a mixture's `[experts, out, in]`
        /// stack (llama.cpp stores a block's experts as one tensor per map).
        case expert(index: Int)
    }

    /// `general.architecture` → transformers' `model_type`.
    public static let architectures: [String: String] = [
        "llama": "llama", "qwen2": "qwen2", "gemma2": "gemma2", "gemma3": "gemma3_text",
        "gpt2": "gpt2", "gptneox": "gpt_neox", "phi2": "phi", "qwen3": "qwen3", "olmo2": "olmo2",
        "olmoe": "olmoe", "qwen3moe": "qwen3_moe",
    ]

    public init(file: GGUFFile) throws {
        self.file = file
        let meta = file.metadata
        func fail(_ key: String, _ problem: String) -> CheckpointError {
            .invalidConfig(file: file.path, key: key, problem: problem)
        }
        guard let architecture = meta["general.architecture"]?.string else {
            throw CheckpointError.missingKey(
                file: file.path, key: "general.architecture", expected: "the model family, a string")
        }
        guard let familyType = GGUFCheckpoint.architectures[architecture] else {
            throw CheckpointError.unsupportedArchitecture(
                file: file.path, found: "general.architecture '\(Excerpt.short(architecture))'",
                supported: GGUFCheckpoint.architectures.keys.sorted())
        }
        // Mixtral is converted as `llama` with experts.
        let experts = meta["\(architecture).expert_count"]?.integer ?? 0
        let modelType = architecture == "llama" && experts > 0 ? "mixtral" : familyType
        self.modelType = modelType
        func integer(_ key: String) throws -> Int {
            guard let value = meta["\(architecture).\(key)"] else {
                throw CheckpointError.missingKey(
                    file: file.path, key: "\(architecture).\(key)", expected: "a positive integer")
            }
            guard let i = value.integer, i > 0 else {
                throw fail("\(architecture).\(key)", "\(architecture).\(key) is \(value), expected a positive integer")
            }
            return i
        }
        func number(_ key: String) -> Double? { meta["\(architecture).\(key)"]?.number }
        let names = Dictionary(file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard let embedding = names["token_embd.weight"], embedding.dimensions.count == 2 else {
            throw CheckpointError.missingTensor(folder: file.path, tensor: "token_embd.weight", expectedShape: [])
        }
        let d = try integer("embedding_length")
        let layers = try integer("block_count")
        let heads = try integer("attention.head_count")
        let kvHeads =
            meta["\(architecture).attention.head_count_kv"] == nil ? heads : try integer("attention.head_count_kv")
        // The MLP's width as its weight has it: Phi-2's converter writes 4·d whatever the model's is.
        let mlpWidth = try names["blk.0.ffn_up.weight"].map { $0.shape[0] } ?? integer("feed_forward_length")
        var config: [String: Any] = [
            "model_type": modelType, "hidden_size": d, "num_hidden_layers": layers, "num_attention_heads": heads,
            "num_key_value_heads": kvHeads, "intermediate_size": mlpWidth,
            "vocab_size": embedding.dimensions[1], "tie_word_embeddings": names["output.weight"] == nil,
            "max_position_embeddings": (try? integer("context_length")) ?? 2048,
        ]
        if let eps = number("attention.layer_norm_rms_epsilon") { config["rms_norm_eps"] = eps }
        if let eps = number("attention.layer_norm_epsilon") {
            config["layer_norm_eps"] = eps
            config["layer_norm_epsilon"] = eps
        }
        if let theta = number("rope.freq_base") { config["rope_theta"] = theta }
        if let keyLength = meta["\(architecture).attention.key_length"]?.integer, keyLength != d / heads {
            config["head_dim"] = keyLength
        }
        if let rotary = meta["\(architecture).rope.dimension_count"]?.integer,
            let dh = (config["head_dim"] as? Int) ?? Optional(d / heads), rotary != dh
        {
            config["partial_rotary_factor"] = Double(rotary) / Double(dh)
        }
        if let scaling = meta["\(architecture).rope.scaling.type"]?.string, scaling != "none" {
            var section: [String: Any] = ["rope_type": scaling]
            if let factor = number("rope.scaling.factor") { section["factor"] = factor }
            config["rope_scaling"] = section
        }
        if names["rope_freqs.weight"] != nil {
            throw fail(
                "rope_freqs.weight",
                "the file scales its rotary frequencies by a stored tensor (rope_freqs.weight, Llama 3.1's llama3 "
                    + "scaling); read the Hugging Face checkpoint instead"
            )
        }
        if architecture == "gemma3" {
            // llama.cpp fixes what the metadata leaves out: five sliding layers
            // to each global one, the sliding layers' rotary base 10,000, scores
            // scaled by 1/√d_head (1/√(d/heads) for the 27B model).
            if let window = number("attention.sliding_window") { config["sliding_window"] = window }
            config["sliding_window_pattern"] = 6
            config["rope_local_base_freq"] = 10_000.0
            let dh = (config["head_dim"] as? Int) ?? d / heads
            config["query_pre_attn_scalar"] = layers == 62 ? d / heads : dh
            config["hidden_activation"] = "gelu_pytorch_tanh"
        }
        switch architecture {
        case "gpt2":
            // GPT-2's config.json spells the shape its own way.
            config.merge([
                "n_layer": layers, "n_head": heads, "n_embd": d, "n_inner": mlpWidth,
                "n_positions": config["max_position_embeddings"]!, "activation_function": "gelu_new",
            ]) { $1 }
        case "gptneox":
            config["hidden_act"] = "gelu"
            config["use_parallel_residual"] = meta["gptneox.use_parallel_residual"]?.bool ?? true
        case "phi2":
            config["hidden_act"] = "gelu_new"
        default:
            break
        }
        if architecture == "gemma2" {
            if let window = number("attention.sliding_window") { config["sliding_window"] = window }
            if let cap = number("attn_logit_softcapping") { config["attn_logit_softcapping"] = cap }
            if let cap = number("final_logit_softcapping") { config["final_logit_softcapping"] = cap }
            config["query_pre_attn_scalar"] = (config["head_dim"] as? Int) ?? d / heads
            config["hidden_activation"] = "gelu_pytorch_tanh"
        }
        if experts > 0 {
            // llama.cpp routes as each family does: Mixtral and Qwen3-MoE renormalise the top k, OLMoE does not.
            config["num_local_experts"] = experts
            config["num_experts_per_tok"] = try integer("expert_used_count")
            config["norm_topk_prob"] = architecture != "olmoe"
            let expertWidth = names["blk.0.ffn_gate_exps.weight"]?.shape[1]
            if let expertWidth { config["moe_intermediate_size"] = expertWidth }
            // Layers the file keeps dense (Qwen3-MoE's `mlp_only_layers`): those without a router;
            // `intermediate_size` is theirs where there are any, else an expert's.
            config["mlp_only_layers"] = (0..<layers).filter { names["blk.\($0).ffn_gate_inp.weight"] == nil }
            let denseWidth = (0..<layers).lazy.compactMap { names["blk.\($0).ffn_up.weight"]?.shape[0] }.first
            config["intermediate_size"] = denseWidth ?? expertWidth ?? mlpWidth
        }
        config["model_type"] = modelType
        let data = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        self.config = try ConfigFile(data: data, path: file.path)
        tensors = try GGUFCheckpoint.transformersNames(
            file.tensors, architecture: architecture, modelType: modelType, heads: heads, kvHeads: kvHeads,
            path: file.path)
    }

    /// Every tensor under the name transformers gives it (without the
    /// `model.` prefix the adapters drop), with what the converter changed.
    static func transformersNames(
        _ infos: [GGUFTensorInfo], architecture: String, modelType: String, heads: Int, kvHeads: Int,
        path: String
    ) throws -> [String: (info: GGUFTensorInfo, change: Change)] {
        let (top, block, blockPrefix) = names(architecture: architecture, heads: heads, kvHeads: kvHeads)
        let experts = expertNames(modelType: modelType)
        var out: [String: (info: GGUFTensorInfo, change: Change)] = [:]
        for info in infos {
            let parts = info.name.split(separator: ".").map(String.init)
            guard let suffix = parts.last, suffix == "weight" || suffix == "bias" else { continue }
            if parts.count == 2, let (name, change) = top[parts[0]] {
                out["\(name).\(suffix)"] = (info, change)
            } else if parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) {
                let prefix = "\(blockPrefix)\(layer)."
                if let (name, change) = block[parts[2]] {
                    out[prefix + "\(name).\(suffix)"] = (info, suffix == "bias" ? change.ofBias : change)
                } else if parts[2] == "ffn_gate_inp" {
                    out[prefix + "\(experts.block).gate.\(suffix)"] = (info, .none)
                } else if let map = experts.maps[parts[2]], info.shape.count == 3 {
                    for e in 0..<info.shape[0] {
                        out[prefix + "\(experts.block).experts.\(e).\(map).\(suffix)"] = (info, .expert(index: e))
                    }
                }
            }
        }
        return out
    }

    /// Where transformers keeps a mixture's router and experts for this
    /// family, and its names of llama.cpp's three expert stacks.
    static func expertNames(modelType: String) -> (block: String, maps: [String: String]) {
        modelType == "mixtral"
            ? ("block_sparse_moe", ["ffn_gate_exps": "w1", "ffn_up_exps": "w3", "ffn_down_exps": "w2"])
            : ("mlp", ["ffn_gate_exps": "gate_proj", "ffn_up_exps": "up_proj", "ffn_down_exps": "down_proj"])
    }

    /// llama.cpp's tensor names → transformers' (top-level tensors, a block's
    /// tensors, and the prefix of a block's names), with what the converter changed.
    static func names(
        architecture: String, heads: Int, kvHeads: Int
    )
        -> (top: [String: (String, Change)], block: [String: (String, Change)], blockPrefix: String)
    {
        switch architecture {
        case "gpt2":
            return (
                [
                    "token_embd": ("wte", .none), "position_embd": ("wpe", .none), "output_norm": ("ln_f", .none),
                    "output": ("lm_head", .none),
                ],
                [
                    "attn_norm": ("ln_1", .none), "attn_qkv": ("attn.c_attn", .transposed),
                    "attn_output": ("attn.c_proj", .transposed),
                    "ffn_norm": ("ln_2", .none), "ffn_up": ("mlp.c_fc", .transposed),
                    "ffn_down": ("mlp.c_proj", .transposed),
                ],
                "h."
            )
        case "gptneox":
            return (
                [
                    "token_embd": ("embed_in", .none), "output_norm": ("final_layer_norm", .none),
                    "output": ("embed_out", .none),
                ],
                [
                    "attn_norm": ("input_layernorm", .none),
                    "attn_qkv": ("attention.query_key_value", .queryKeyValueByPart(heads: heads)),
                    "attn_output": ("attention.dense", .none), "ffn_norm": ("post_attention_layernorm", .none),
                    "ffn_up": ("mlp.dense_h_to_4h", .none), "ffn_down": ("mlp.dense_4h_to_h", .none),
                ],
                "layers."
            )
        case "phi2":
            return (
                [
                    "token_embd": ("embed_tokens", .none), "output_norm": ("final_layernorm", .none),
                    "output": ("lm_head", .none),
                ],
                [
                    "attn_norm": ("input_layernorm", .none), "attn_q": ("self_attn.q_proj", .none),
                    "attn_k": ("self_attn.k_proj", .none),
                    "attn_v": ("self_attn.v_proj", .none), "attn_output": ("self_attn.dense", .none),
                    "ffn_up": ("mlp.fc1", .none), "ffn_down": ("mlp.fc2", .none),
                ],
                "layers."
            )
        default:
            return llamaNames(architecture: architecture, heads: heads, kvHeads: kvHeads)
        }
    }

    /// The Llama layout's names (Llama, Qwen 2 and 3, Gemma 2 and 3, OLMo 2).
    static func llamaNames(
        architecture: String, heads: Int, kvHeads: Int
    )
        -> (top: [String: (String, Change)], block: [String: (String, Change)], blockPrefix: String)
    {
        let permutes = architecture == "llama"
        let gemma = architecture.hasPrefix("gemma")
        let block: [String: (String, Change)] = [
            "attn_norm": ("input_layernorm", gemma ? .plusOne : .none),
            "attn_q": ("self_attn.q_proj", permutes ? .rotaryRows(heads: heads) : .none),
            "attn_k": ("self_attn.k_proj", permutes ? .rotaryRows(heads: kvHeads) : .none),
            "attn_v": ("self_attn.v_proj", .none), "attn_output": ("self_attn.o_proj", .none),
            "ffn_norm": (gemma ? "pre_feedforward_layernorm" : "post_attention_layernorm", gemma ? .plusOne : .none),
            "post_attention_norm": ("post_attention_layernorm", gemma ? .plusOne : .none),
            "post_ffw_norm": ("post_feedforward_layernorm", gemma ? .plusOne : .none),
            "attn_q_norm": ("self_attn.q_norm", gemma ? .plusOne : .none),
            "attn_k_norm": ("self_attn.k_norm", gemma ? .plusOne : .none),
            "ffn_gate": ("mlp.gate_proj", .none), "ffn_up": ("mlp.up_proj", .none),
            "ffn_down": ("mlp.down_proj", .none),
        ]
        let top: [String: (String, Change)] = [
            "token_embd": ("embed_tokens", .none), "output_norm": ("norm", gemma ? .plusOne : .none),
            "output": ("lm_head", .none),
        ]
        return (top, block, "layers.")
    }

    /// Tensor `name`'s shape in transformers' layout.
    public func shape(_ name: String) -> [Int]? {
        guard let (info, change) = tensors[name] else { return nil }
        switch change {
        case .transposed: return info.shape.reversed()
        case .expert: return Array(info.shape.dropFirst())
        default: return info.shape
        }
    }

    /// The file's own name of tensor `name` (`blk.0.attn_v.weight`), for errors.
    public func storedName(_ name: String) -> String { tensors[name]?.info.name ?? name }

    /// Throws unless tensor `name` has a type `GGMLDequantize` reads.
    public func checkReadable(_ name: String) throws {
        guard let info = tensors[name]?.info, !info.type.isReadable else { return }
        throw GGUFFile.unreadable(info, path: file.path)
    }

    public var tensorNames: [String] { tensors.keys.sorted() }

    /// Tensor `name` as `Float`s in transformers' layout. `deferred`: rows
    /// converted where read (input embeddings of which the scores read a few).
    public func floats(_ name: String, deferred: Bool) throws -> FloatTensor {
        guard let (info, change) = tensors[name] else { preconditionFailure("checked by the caller") }
        try checkReadable(name)
        let rowLength = info.rowLength
        let shape = self.shape(name)!
        let count = shape.reduce(1, *)
        let rows = count / max(1, rowLength)
        // An expert's rows sit after those of the experts before it in the stack.
        let firstStored: Int
        if case .expert(let index) = change { firstStored = index * rows } else { firstStored = 0 }
        let file = self.file
        if let storedIndex = GGUFCheckpoint.storedIndex(change: change, shape: shape) {
            // Elements the converter moved: the (small, per-layer) tensor is read whole and put back in order.
            let stored = try file.floats(info)
            try file.checkUnchanged()
            let bad = stored.withUnsafeBufferPointer { NonFiniteValues.count($0) }
            guard bad == 0 else {
                throw CheckpointError.nonFinite(file: file.path, tensor: info.name, count: bad, of: info.elementCount)
            }
            return FloatTensor(shape: shape, converting: count) { range, out in
                for i in range { out[i - range.lowerBound] = stored[storedIndex(i)] }
            }
        }
        // Rows are converted in chunks, each chunk's pages handed back after it.
        let convert: (Range<Int>, UnsafeMutablePointer<Float>) -> Void = { range, out in
            let firstRow = range.lowerBound / rowLength
            let lastRow = (range.upperBound + rowLength - 1) / rowLength
            let chunk = max(1, (1 << 22) / max(1, rowLength))
            var scratch = [Float](repeating: 0, count: min(lastRow - firstRow, chunk) * rowLength)
            for lo in stride(from: firstRow, to: lastRow, by: chunk) {
                let hi = min(lastRow, lo + chunk)
                scratch.withUnsafeMutableBufferPointer { s in
                    for r in lo..<hi {
                        let stored = GGUFCheckpoint.storedRow(r, change: change, rows: rows)
                        file.dequantize(info, rows: stored..<(stored + 1), into: s.baseAddress! + (r - lo) * rowLength)
                    }
                    if case .plusOne = change { for i in 0..<((hi - lo) * rowLength) { s[i] -= 1 } }
                    let from = max(range.lowerBound, lo * rowLength)
                    let to = min(range.upperBound, hi * rowLength)
                    (out + (from - range.lowerBound)).update(
                        from: s.baseAddress! + (from - lo * rowLength), count: to - from)
                }
                file.release(info, rows: (firstStored + lo)..<(firstStored + hi))
            }
        }
        let tensor =
            deferred
            ? FloatTensor(shape: shape, deferring: count, owner: file, convert)
            : FloatTensor(shape: shape, converting: count, convert)
        // A deferred tensor is checked now, a block of rows at a time, so no NaN reaches a score later.
        var bad = 0
        if deferred {
            let step = max(1, (1 << 22) / max(1, rowLength)) * rowLength
            var scratch = [Float](repeating: 0, count: min(step, count))
            for lo in stride(from: 0, to: count, by: step) {
                let hi = min(count, lo + step)
                scratch.withUnsafeMutableBufferPointer { s in
                    convert(lo..<hi, s.baseAddress!)
                    bad += NonFiniteValues.count(UnsafeBufferPointer(rebasing: s[0..<(hi - lo)]))
                }
            }
        } else {
            bad = NonFiniteValues.count(tensor.values)
        }
        try file.checkUnchanged()
        guard bad == 0 else {
            throw CheckpointError.nonFinite(file: file.path, tensor: info.name, count: bad, of: info.elementCount)
        }
        return tensor
    }

    /// The stored row that holds transformers' row `r`. llama.cpp writes
    /// head h's rows as (i, half) pairs: transformers' row `h·dh + half·dh/2 + i`
    /// is stored at `h·dh + 2i + half`.
    static func storedRow(_ r: Int, change: Change, rows: Int) -> Int {
        if case .expert(let index) = change { return index * rows + r }
        guard case .rotaryRows(let heads) = change, heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else {
            return r
        }
        let dh = rows / heads
        let halfWidth = dh / 2
        let h = r / dh
        let within = r % dh
        return h * dh + 2 * (within % halfWidth) + within / halfWidth
    }

    /// For a tensor whose elements the converter moved, where element `i` of
    /// transformers' row-major layout (of `shape`) is stored.
    static func storedIndex(change: Change, shape: [Int]) -> (@Sendable (Int) -> Int)? {
        switch change {
        case .transposed:
            guard shape.count == 2 else { return nil }
            let rows = shape[0]
            let cols = shape[1]
            return { i in (i % cols) * rows + i / cols }
        case .queryKeyValueByPart(let heads):
            let count = shape[0]
            let width = shape.count == 2 ? shape[1] : 1
            guard heads > 0, count % (3 * heads) == 0 else { return nil }
            let headRows = count / heads
            let dh = headRows / 3
            return { i in
                let row = i / width
                let column = i % width
                let head = row / headRows
                let part = (row % headRows) / dh
                let k = row % dh
                return (part * heads * dh + head * dh + k) * width + column
            }
        case .rotaryRows where shape.count == 1:
            return { i in storedRow(i, change: change, rows: shape[0]) }
        default:
            return nil
        }
    }
}

extension GGUFCheckpoint.Change {
    /// The change the converter made to the layer's bias: a bias is never
    /// transposed or shifted by one; it is re-ordered as the weight's rows are.
    var ofBias: Self {
        switch self {
        case .plusOne, .transposed: return .none
        case .none, .rotaryRows, .queryKeyValueByPart, .expert: return self
        }
    }
}
