import Checkpoint
import Core
import Foundation

/// The model families `make-fixture --arch` writes, each in its real Hugging
/// Face layout and naming, with a `tokenizer.json`.
public enum FixtureArchitecture: String, CaseIterable, Sendable {
    case gpt2, neox, phi, llama, qwen2, gemma2, mixtral

    var gated: Bool { [.llama, .qwen2, .gemma2, .mixtral].contains(self) }

    /// Mixtral's experts per block and per token.
    static let experts = (count: 4, perToken: 2)
}

/// A planted checkpoint in another family's layout. The planted weights are
/// those of the GPT-2 fixture (`PlantedCheckpoint`), moved to where each
/// family keeps them: transposed to `[out, in]`, QKV fused and interleaved
/// per head (NeoX), value heads shared under grouped-query attention, head
/// width padded with zeros where the config sets `head_dim`, and for the gated
/// MLPs a pass-through of the code dimensions: hidden unit `c` gates on a
/// dimension that is constant across tokens and carries code dimension `c`
/// up, so block 0's output keeps every code scaled by one positive number per
/// token — which no ranking sees. Mixtral's experts each carry that
/// pass-through (their other units random and their own), behind a random
/// router: the weighted sum of any two keeps it.
public struct FamilyFixture {
    public let planted: PlantedCheckpoint
    public let architecture: FixtureArchitecture

    public init(_ planted: PlantedCheckpoint, architecture: FixtureArchitecture) {
        self.planted = planted
        self.architecture = architecture
    }

    var shape: PlantedCheckpoint.Shape { planted.shape }
    var d: Int { shape.dModel }
    var dh: Int { d / shape.heads }
    /// Key/value heads: half the query heads for the GQA families.
    public var kvHeads: Int {
        architecture.gated ? shape.kvHeads ?? (shape.heads % 2 == 0 ? shape.heads / 2 : shape.heads) : shape.heads
    }
    /// Gemma 2 sets `head_dim` wider than `d_model / heads`.
    public var headDim: Int { architecture == .gemma2 ? 2 * dh : dh }
    public var dtype: DType { architecture == .llama && planted.dtype == .f32 ? .bf16 : planted.dtype }
    /// Llama is sharded as its real checkpoints are: at least two files, about 5 GB each.
    var shards: Int {
        guard architecture == .llama else { return 1 }
        let values =
            Double(shape.vocabSize ?? 0) * Double(2 * d) + Double(shape.layers) * Double(3 * d * shape.dMLP + 4 * d * d)
        return max(2, Int((values * Double(dtype.byteSize) / 5e9).rounded(.up)))
    }
    var tied: Bool { [.qwen2, .gemma2].contains(architecture) }
    /// Rows past the tokenizer, as Pythia (to a multiple of 128) and Phi-2 (256) pad.
    func rows(vocabulary: Int) -> Int {
        switch architecture {
        case .neox: return (vocabulary + 127) / 128 * 128
        case .phi: return (vocabulary + 255) / 256 * 256
        default: return vocabulary
        }
    }

    /// Where the GPT-2 fixture puts its heads, moved so that the planted heads
    /// of one layer that read different dimensions sit in different KV groups,
    /// and the suppression head shares its KV head with a copying head (the
    /// same `W_V`, the opposite `W_O`).
    public func placements() -> [(layer: Int, head: Int, role: PlantedCheckpoint.Role)] {
        var out = planted.placements()
        let perGroup = shape.heads / kvHeads
        guard perGroup > 1 else { return out }
        func reads(_ role: PlantedCheckpoint.Role) -> Int { role.relation == "name_copying" ? 0 : 1 }
        if let s = out.firstIndex(where: { $0.role == .suppression }),
            let c = out.lastIndex(where: { $0.role == .copying })
        {
            let group = out[c].head / perGroup
            if let free = (group * perGroup..<(group + 1) * perGroup).first(where: { h in
                !out.contains { $0.layer == out[c].layer && $0.head == h }
            }) {
                out[s] = (out[c].layer, free, .suppression)
            }
        }
        for i in out.indices {
            let p = out[i]
            func conflicts(_ layer: Int, _ head: Int) -> Bool {
                out.indices.contains { j in
                    j != i && out[j].layer == layer
                        && (out[j].head == head
                            || (out[j].head / perGroup == head / perGroup && reads(out[j].role) != reads(p.role)))
                }
            }
            guard conflicts(p.layer, p.head) else { continue }
            // The nearest free place: this layer first, then the layers around it.
            let layers = (0..<shape.layers).sorted { (abs($0 - p.layer), $0) < (abs($1 - p.layer), $1) }
            if let place = layers.lazy.flatMap({ l in (0..<shape.heads).lazy.map { (l, $0) } }).first(where: {
                !conflicts($0.0, $0.1)
            }) {
                out[i] = (place.0, place.1, p.role)
            }
        }
        return out
    }

    /// Writes the checkpoint (config.json, safetensors, shard index where
    /// sharded, tokenizer.json, planted.json) into `directory`.
    @discardableResult
    public func write(to directory: String) throws -> [PlantedCheckpoint.PlantedHead] {
        guard architecture != .gpt2 else {
            // GPT-2's own files, and the tokenizer.json its Hugging Face repositories also hold.
            let heads = try planted.write(to: directory)
            try planted.write(
                tokenizerJSON(try planted.plan(placements: planted.placements()).vocab), to: directory, "tokenizer.json"
            )
            return heads
        }
        let plan = try planted.plan(placements: planted.formed(placements()))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let vocabulary = plan.vocab.count
        let rows = rows(vocabulary: vocabulary)
        let tensors = try self.tensors(plan: plan, rows: rows)
        try writeWeights(tensors, to: directory)
        try planted.write(configJSON(rows: rows), to: directory, "config.json")
        try planted.write(tokenizerJSON(plan.vocab), to: directory, "tokenizer.json")
        try planted.write(planted.plantedJSON(plan.planted, vocabSize: rows), to: directory, "planted.json")
        return plan.planted
    }

    // MARK: - Tensors

    /// A tensor's shape, and its values made only when the writer reaches
    /// it: a Llama-3.1-8B-shaped fixture is written one tensor at a time.
    struct Tensor {
        let shape: [Int]
        let values: () -> [Float]
        init(shape: [Int], values: @autoclosure @escaping () -> [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The GPT-2 fixture's attention weights of one layer, made once for all
    /// the tensors written from them (the writer visits a layer's tensors together).
    final class AttentionSource {
        let make: (Int) -> (attn: [Float], proj: [Float])
        private var layer = -1
        private var cached: (attn: [Float], proj: [Float]) = ([], [])
        init(_ make: @escaping (Int) -> (attn: [Float], proj: [Float])) { self.make = make }
        func callAsFunction(_ l: Int) -> (attn: [Float], proj: [Float]) {
            if layer != l {
                cached = ([], [])
                cached = make(l)
                layer = l
            }
            return cached
        }
    }

    func tensors(plan: PlantedCheckpoint.Plan, rows: Int) throws -> [String: Tensor] {
        let L = shape.layers
        let H = shape.heads
        let half = d / 2
        let dMLP = shape.dMLP
        var out: [String: Tensor] = [:]
        let planted = self.planted
        let architecture = self.architecture
        let d = self.d
        let dh = self.dh
        func gpt2(_ name: String, _ shape: [Int]) -> [Float] { planted.gpt2Tensor(name, shape: shape, plan: plan) }
        func random(_ name: String, _ shape: [Int], scale: Float) -> [Float] {
            Grid.noise(shape.reduce(1, *), scale: scale, seed: planted.seed ^ fnv1a(architecture.rawValue + name))
        }
        /// `[rows, cols]` row-major → `[cols, rows]`.
        func transpose(_ v: [Float], rows r: Int, cols c: Int) -> [Float] {
            var t = [Float](repeating: 0, count: v.count)
            for i in 0..<r { for j in 0..<c { t[j * r + i] = v[i * c + j] } }
            return t
        }

        var embedding = gpt2("wte.weight", [rows, d])
        if architecture.gated {
            // The constant dimension the gated pass-through gates on.
            for t in 0..<rows {
                embedding[t * d + Layout.reserved] = 1
                embedding[t * d + half + Layout.reserved] = -1
            }
        }
        // A norm weight as stored: Gemma stores w with the norm multiplying by 1 + w.
        func normWeight(_ v: [Float]) -> [Float] { architecture == .gemma2 ? v.map { $0 - 1 } : v }
        let names = Names(architecture)
        out[names.embedding] = Tensor(shape: [rows, d], values: embedding)
        if !tied {
            // Same code dimensions as W_E (planted scores need W_U = W_E there), fresh elsewhere,
            // so a reader that took W_E for W_U would disagree on every random head.
            out[names.unembedding] = Tensor(
                shape: [rows, d],
                values: {
                    var unembedding = random("unembedding", [rows, d], scale: PlantedCheckpoint.embeddingScale)
                    for t in 0..<rows {
                        for j in 0..<half where j < Layout.reserved {
                            unembedding[t * d + j] = embedding[t * d + j]
                            unembedding[t * d + half + j] = embedding[t * d + half + j]
                        }
                    }
                    return unembedding
                }())
            if architecture == .phi {
                out["lm_head.bias"] = Tensor(shape: [rows], values: random("lm_head.bias", [rows], scale: 0.05))
            }
        }
        out[names.finalNorm + ".weight"] = Tensor(shape: [d], values: normWeight(gpt2("ln_f.weight", [d])))
        if !architecture.gated { out[names.finalNorm + ".bias"] = Tensor(shape: [d], values: gpt2("ln_f.bias", [d])) }

        let attention = AttentionSource { l in
            (gpt2("h.\(l).attn.c_attn.weight", [d, 3 * d]), gpt2("h.\(l).attn.c_proj.weight", [d, d]))
        }
        for l in 0..<L {
            let p = names.layer(l)
            // Canonical pieces: column c of c_attn, row r of c_proj.
            func q(_ attn: [Float], _ h: Int, _ j: Int, _ i: Int) -> Float { attn[i * 3 * d + h * dh + j] }
            func k(_ attn: [Float], _ h: Int, _ j: Int, _ i: Int) -> Float { attn[i * 3 * d + d + h * dh + j] }
            func v(_ attn: [Float], _ h: Int, _ j: Int, _ i: Int) -> Float { attn[i * 3 * d + 2 * d + h * dh + j] }
            func o(_ proj: [Float], _ h: Int, _ j: Int, _ out: Int) -> Float { proj[(h * dh + j) * d + out] }
            let plantedHeads = Set((0..<H).filter { plan.plantedAt[l * H + $0] != nil })

            for norm in names.norms(layer: l) {
                let w =
                    l == 0 && norm == names.mlpNorm ? gpt2("h.0.ln_2.weight", [d]) : gpt2("h.\(l).\(norm).weight", [d])
                out["\(p).\(norm).weight"] = Tensor(shape: [d], values: normWeight(w))
                if !architecture.gated {
                    let b =
                        l == 0 && norm == names.mlpNorm ? gpt2("h.0.ln_2.bias", [d]) : gpt2("h.\(l).\(norm).bias", [d])
                    out["\(p).\(norm).bias"] = Tensor(shape: [d], values: b)
                }
            }

            switch architecture {
            case .neox:
                // Rows i·3·dh ..< (i+1)·3·dh: head i's query, key, value.
                out["\(p).attention.query_key_value.weight"] = Tensor(
                    shape: [3 * d, d],
                    values: {
                        let attn = attention(l).attn
                        var qkv = [Float](repeating: 0, count: 3 * d * d)
                        for h in 0..<H {
                            for j in 0..<dh {
                                for i in 0..<d {
                                    qkv[(h * 3 * dh + j) * d + i] = q(attn, h, j, i)
                                    qkv[(h * 3 * dh + dh + j) * d + i] = k(attn, h, j, i)
                                    qkv[(h * 3 * dh + 2 * dh + j) * d + i] = v(attn, h, j, i)
                                }
                            }
                        }
                        return qkv
                    }())
                out["\(p).attention.query_key_value.bias"] = Tensor(
                    shape: [3 * d], values: random("\(p).qkv.bias", [3 * d], scale: 0.05))
                out["\(p).attention.dense.weight"] = Tensor(
                    shape: [d, d], values: transpose(attention(l).proj, rows: d, cols: d))
                out["\(p).attention.dense.bias"] = Tensor(
                    shape: [d], values: random("\(p).dense.bias", [d], scale: 0.05))
            default:
                let w = headDim
                let kv = kvHeads
                let perGroup = H / kv
                // Projections `[heads·w, d]`; columns past the canonical width are zero for planted heads.
                // (Without such columns every value is overwritten: no random values to make.)
                func projection(
                    _ heads: Int, _ name: String, _ value: (Int, Int, Int) -> Float, planted: (Int) -> Bool
                ) -> [Float] {
                    var m =
                        w == dh
                        ? [Float](repeating: 0, count: heads * w * d)
                        : random("\(p).\(name)", [heads * w, d], scale: Float(1 / Double(d).squareRoot()))
                    for h in 0..<heads {
                        for j in 0..<w {
                            for i in 0..<d {
                                if j < dh {
                                    m[(h * w + j) * d + i] = value(h, j, i)
                                } else if planted(h) {
                                    m[(h * w + j) * d + i] = 0
                                }
                            }
                        }
                    }
                    return m
                }
                // KV head g takes the value weights of a planted head of its group, if any.
                let source = (0..<kv).map { g in
                    (g * perGroup..<(g + 1) * perGroup).first(where: plantedHeads.contains) ?? g * perGroup
                }
                let groupPlanted = { (g: Int) in plantedHeads.contains(source[g]) }
                let attnName = architecture == .phi ? "self_attn.dense" : "self_attn.o_proj"
                out["\(p).self_attn.q_proj.weight"] = Tensor(
                    shape: [H * w, d],
                    values: {
                        let attn = attention(l).attn
                        return projection(H, "q", { h, j, i in q(attn, h, j, i) }, planted: { _ in false })
                    }())
                out["\(p).self_attn.k_proj.weight"] = Tensor(
                    shape: [kv * w, d],
                    values: {
                        let attn = attention(l).attn
                        return projection(kv, "k", { g, j, i in k(attn, source[g], j, i) }, planted: { _ in false })
                    }())
                out["\(p).self_attn.v_proj.weight"] = Tensor(
                    shape: [kv * w, d],
                    values: {
                        let attn = attention(l).attn
                        return projection(kv, "v", { g, j, i in v(attn, source[g], j, i) }, planted: groupPlanted)
                    }())
                out["\(p).\(attnName).weight"] = Tensor(
                    shape: [d, H * w],
                    values: {
                        let proj = attention(l).proj
                        var oProj =
                            w == dh
                            ? [Float](repeating: 0, count: d * H * w)
                            : random("\(p).o", [d, H * w], scale: Float(1 / Double(d).squareRoot()))
                        for h in 0..<H {
                            for j in 0..<w {
                                for r in 0..<d {
                                    if j < dh {
                                        oProj[r * H * w + h * w + j] = o(proj, h, j, r)
                                    } else if plantedHeads.contains(h) {
                                        oProj[r * H * w + h * w + j] = 0
                                    }
                                }
                            }
                        }
                        return oProj
                    }())
                if architecture == .phi || architecture == .qwen2 {
                    for (n, width) in [("q_proj", H * w), ("k_proj", kv * w), ("v_proj", kv * w)] {
                        out["\(p).self_attn.\(n).bias"] = Tensor(
                            shape: [width], values: random("\(p).\(n).bias", [width], scale: 0.05))
                    }
                }
                if architecture == .phi {
                    out["\(p).\(attnName).bias"] = Tensor(
                        shape: [d], values: random("\(p).dense.bias", [d], scale: 0.05))
                }
            }

            // The MLP.
            if architecture == .mixtral {
                let (count, _) = FixtureArchitecture.experts
                let moe = "\(p).block_sparse_moe"
                out["\(moe).gate.weight"] = Tensor(
                    shape: [count, d],
                    values: random("\(moe).gate", [count, d], scale: Float(1 / Double(d).squareRoot())))
                for e in 0..<count {
                    let expert = "\(moe).experts.\(e)"
                    let (gate, up, down) =
                        l == 0
                        ? gatedFirstMLP(dMLP: dMLP, random: random, name: "mlp0.expert\(e)")
                        : (
                            random("\(expert).w1", [dMLP, d], scale: 0.05),
                            random("\(expert).w3", [dMLP, d], scale: 0.05),
                            random("\(expert).w2", [d, dMLP], scale: 0.05)
                        )
                    out["\(expert).w1.weight"] = Tensor(shape: [dMLP, d], values: gate)
                    out["\(expert).w3.weight"] = Tensor(shape: [dMLP, d], values: up)
                    out["\(expert).w2.weight"] = Tensor(shape: [d, dMLP], values: down)
                }
            } else if architecture.gated {
                if l == 0 {
                    let (gate, up, down) = gatedFirstMLP(dMLP: dMLP, random: random)
                    out["\(p).mlp.gate_proj.weight"] = Tensor(shape: [dMLP, d], values: gate)
                    out["\(p).mlp.up_proj.weight"] = Tensor(shape: [dMLP, d], values: up)
                    out["\(p).mlp.down_proj.weight"] = Tensor(shape: [d, dMLP], values: down)
                } else {
                    out["\(p).mlp.gate_proj.weight"] = Tensor(
                        shape: [dMLP, d], values: random("\(p).gate", [dMLP, d], scale: 0.05))
                    out["\(p).mlp.up_proj.weight"] = Tensor(
                        shape: [dMLP, d], values: random("\(p).up", [dMLP, d], scale: 0.05))
                    out["\(p).mlp.down_proj.weight"] = Tensor(
                        shape: [d, dMLP], values: random("\(p).down", [d, dMLP], scale: 0.05))
                }
            } else {
                let (fcIn, fcOut) = architecture == .neox ? ("dense_h_to_4h", "dense_4h_to_h") : ("fc1", "fc2")
                out["\(p).mlp.\(fcIn).weight"] = Tensor(
                    shape: [dMLP, d], values: transpose(gpt2("h.\(l).mlp.c_fc.weight", [d, dMLP]), rows: d, cols: dMLP))
                out["\(p).mlp.\(fcIn).bias"] = Tensor(shape: [dMLP], values: gpt2("h.\(l).mlp.c_fc.bias", [dMLP]))
                out["\(p).mlp.\(fcOut).weight"] = Tensor(
                    shape: [d, dMLP],
                    values: transpose(gpt2("h.\(l).mlp.c_proj.weight", [dMLP, d]), rows: dMLP, cols: d))
                out["\(p).mlp.\(fcOut).bias"] = Tensor(shape: [d], values: gpt2("h.\(l).mlp.c_proj.bias", [d]))
            }
        }
        return out
    }

    /// Block 0's gated MLP, `[out, in]`: unit `c < reserved` gates on the
    /// constant dimension and carries code dimension `c` up to output `c`; the
    /// other units are random and write only outside the reserved dimensions.
    func gatedFirstMLP(
        dMLP: Int, random: (String, [Int], Float) -> [Float], name: String = "mlp0"
    ) -> ([Float], [Float], [Float]) {
        let half = d / 2
        let reserved = Layout.reserved
        var gate = random("\(name).gate", [dMLP, d], Float(1 / Double(d).squareRoot()))
        var up = random("\(name).up", [dMLP, d], Float(1 / Double(d).squareRoot()))
        var down = random("\(name).down", [d, dMLP], Float(1 / Double(dMLP).squareRoot()))
        for c in 0..<reserved {
            for i in 0..<d {
                gate[c * d + i] = 0
                up[c * d + i] = 0
            }
            gate[c * d + reserved] = 1
            up[c * d + c] = 1
        }
        for r in 0..<d {
            for u in 0..<dMLP where r % half < reserved || u < reserved { down[r * dMLP + u] = 0 }
        }
        for c in 0..<reserved { down[c * dMLP + c] = 1 }
        return (gate, up, down)
    }

    func writeWeights(_ tensors: [String: Tensor], to directory: String) throws {
        let names = tensors.keys.sorted(by: Names.layerOrder)
        let per = (names.count + shards - 1) / shards
        let groups = stride(from: 0, to: names.count, by: per).map { Array(names[$0..<min(names.count, $0 + per)]) }
        var weightMap: [(String, String)] = []
        var total = 0
        for (i, group) in groups.enumerated() {
            let file =
                shards == 1
                ? "model.safetensors" : String(format: "model-%05d-of-%05d.safetensors", i + 1, groups.count)
            let entries = group.map { SafetensorsWriter.Entry(name: $0, dtype: dtype, shape: tensors[$0]!.shape) }
            try SafetensorsWriter.write(to: (directory as NSString).appendingPathComponent(file), entries: entries) {
                tensors[$0.name]!.values()
            }
            weightMap += group.map { ($0, file) }
            total += group.reduce(0) { $0 + tensors[$1]!.shape.reduce(1, *) * dtype.byteSize }
        }
        if shards > 1 {
            let map = weightMap.sorted { $0.0 < $1.0 }.map {
                "    \(JSONString.quoted($0.0)): \(JSONString.quoted($0.1))"
            }.joined(separator: ",\n")
            try planted.write(
                "{\n  \"metadata\": {\"total_size\": \(total)},\n  \"weight_map\": {\n\(map)\n  }\n}\n", to: directory,
                "model.safetensors.index.json")
        }
    }

    // MARK: - Files beside the weights

    func configJSON(rows: Int) -> String {
        let fixture =
            "\"headmaps_fixture\": {\"shape\": \"\(shape.name)\", \"seed\": \(planted.seed), "
            + "\"dtype\": \"\(dtype.rawValue)\", \"arch\": \"\(architecture.rawValue)\"}"
        var items: [String] = [fixture]
        func add(_ key: String, _ value: String) { items.append("\(JSONString.quoted(key)): \(value)") }
        let common: [(String, String)] = [
            ("hidden_size", "\(d)"), ("intermediate_size", "\(shape.dMLP)"), ("num_attention_heads", "\(shape.heads)"),
            ("num_hidden_layers", "\(shape.layers)"), ("vocab_size", "\(rows)"),
            ("max_position_embeddings", "\(shape.positions)"),
            ("torch_dtype", "\"\(dtype == .bf16 ? "bfloat16" : dtype == .f16 ? "float16" : "float32")\""),
        ]
        for (k, v) in common { add(k, v) }
        switch architecture {
        case .neox:
            add("architectures", "[\"GPTNeoXForCausalLM\"]")
            add("model_type", "\"gpt_neox\"")
            add("hidden_act", "\"gelu\"")
            add("layer_norm_eps", "1e-05")
            add("rotary_pct", "0.25")
            add("rotary_emb_base", "10000")
            add("use_parallel_residual", "true")
            add("tie_word_embeddings", "false")
        case .phi:
            add("architectures", "[\"PhiForCausalLM\"]")
            add("model_type", "\"phi\"")
            add("hidden_act", "\"gelu_new\"")
            add("layer_norm_eps", "1e-05")
            add("partial_rotary_factor", "0.5")
            add("num_key_value_heads", "\(shape.heads)")
            add("tie_word_embeddings", "false")
        case .llama, .qwen2:
            add("architectures", architecture == .llama ? "[\"LlamaForCausalLM\"]" : "[\"Qwen2ForCausalLM\"]")
            add("model_type", "\"\(architecture.rawValue)\"")
            add("hidden_act", "\"silu\"")
            add("rms_norm_eps", "1e-05")
            add("num_key_value_heads", "\(kvHeads)")
            add("rope_theta", "500000.0")
            add("tie_word_embeddings", tied ? "true" : "false")
        case .mixtral:
            add("architectures", "[\"MixtralForCausalLM\"]")
            add("model_type", "\"mixtral\"")
            add("hidden_act", "\"silu\"")
            add("rms_norm_eps", "1e-05")
            add("num_key_value_heads", "\(kvHeads)")
            add("rope_theta", "1000000.0")
            add("num_local_experts", "\(FixtureArchitecture.experts.count)")
            add("num_experts_per_tok", "\(FixtureArchitecture.experts.perToken)")
            add("tie_word_embeddings", "false")
        case .gemma2:
            add("architectures", "[\"Gemma2ForCausalLM\"]")
            add("model_type", "\"gemma2\"")
            add("hidden_activation", "\"gelu_pytorch_tanh\"")
            add("hidden_act", "\"gelu_pytorch_tanh\"")
            add("rms_norm_eps", "1e-06")
            add("num_key_value_heads", "\(kvHeads)")
            add("head_dim", "\(headDim)")
            add("query_pre_attn_scalar", "\(headDim)")
            add("tie_word_embeddings", "true")
        case .gpt2:
            break
        }
        return "{\n  " + items.sorted().joined(separator: ",\n  ") + "\n}\n"
    }

    func tokenizerJSON(_ vocab: FixtureVocabulary) -> String {
        let byteLevel = { (regex: Bool) in
            "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": \(regex)}"
        }
        let preTokenizer =
            architecture.gated
            ? "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
                + "{\"Regex\": \(JSONString.quoted(FamilyFixture.llama3Pattern))}, \"behavior\": \"Isolated\", "
                + "\"invert\": false}, \(byteLevel(false))]}"
            : byteLevel(true)
        let all = vocab.vocabulary.sorted { $0.value < $1.value }
        let vocabJSON = all.map { "\(JSONString.quoted($0.key)): \($0.value)" }.joined(separator: ", ")
        let merges = vocab.merges.map { JSONString.quoted("\($0.0) \($0.1)") }.joined(separator: ", ")
        let endOfText = vocab.vocabulary[FixtureVocabulary.endOfText]!
        return """
            {
              "version": "1.0",
              "added_tokens": [{"id": \(endOfText), "content": "<|endoftext|>", "single_word": false, \
            "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
              "normalizer": \(architecture == .neox ? "{\"type\": \"NFC\"}" : "null"),
              "pre_tokenizer": \(preTokenizer),
              "post_processor": null,
              "decoder": \(byteLevel(true)),
              "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, \
            "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, \
            "ignore_merges": \(architecture == .llama), "vocab": {\(vocabJSON)}, "merges": [\(merges)]}
            }

            """
    }

    /// Llama 3's pre-tokenizer pattern (Qwen2's differs only in single digits).
    static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"#
        + #"\s*[\r\n]+|\s+(?!\S)|\s+"#
}

/// Tensor names of each family.
struct Names {
    let embedding: String
    let unembedding: String
    let finalNorm: String
    let layerPrefix: String
    /// Block 0's MLP norm.
    let mlpNorm: String
    private let layerNorms: [String]

    init(_ arch: FixtureArchitecture) {
        switch arch {
        case .neox:
            (embedding, unembedding, finalNorm, layerPrefix) = (
                "gpt_neox.embed_in.weight", "embed_out.weight", "gpt_neox.final_layer_norm", "gpt_neox.layers"
            )
            (mlpNorm, layerNorms) = ("post_attention_layernorm", ["input_layernorm", "post_attention_layernorm"])
        case .phi:
            (embedding, unembedding, finalNorm, layerPrefix) = (
                "model.embed_tokens.weight", "lm_head.weight", "model.final_layernorm", "model.layers"
            )
            (mlpNorm, layerNorms) = ("input_layernorm", ["input_layernorm"])
        case .gemma2:
            (embedding, unembedding, finalNorm, layerPrefix) = (
                "model.embed_tokens.weight", "lm_head.weight", "model.norm", "model.layers"
            )
            (mlpNorm, layerNorms) = (
                "pre_feedforward_layernorm",
                [
                    "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                    "post_feedforward_layernorm",
                ]
            )
        default:
            (embedding, unembedding, finalNorm, layerPrefix) = (
                "model.embed_tokens.weight", "lm_head.weight", "model.norm", "model.layers"
            )
            (mlpNorm, layerNorms) = ("post_attention_layernorm", ["input_layernorm", "post_attention_layernorm"])
        }
    }

    func layer(_ l: Int) -> String { "\(layerPrefix).\(l)" }
    func norms(layer: Int) -> [String] { layerNorms }

    /// Layer tensors in layer order (so shards split between layers, as real ones do), the rest first.
    static func layerOrder(_ a: String, _ b: String) -> Bool {
        func key(_ s: String) -> (Int, String) {
            let parts = s.split(separator: ".")
            if let i = parts.firstIndex(of: "layers"), i + 1 < parts.count, let n = Int(parts[i + 1]) { return (n, s) }
            return (s.contains("embed") ? -1 : Int.max, s)
        }
        return key(a) < key(b)
    }
}
