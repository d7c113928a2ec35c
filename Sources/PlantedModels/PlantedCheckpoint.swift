import Analysis
import Checkpoint
import Core
import Foundation
import Tokenizer

/// A GPT-2-format checkpoint with heads whose scores are known in advance.
///
/// How a planted head gets its score, by construction:
/// - Tokens carry integer codes (`IntegerCodes`) in reserved residual
///   dimensions: names in a 4-d "name" plane, countries in a 3-d "country"
///   plane with their capitals at the same code in a 3-d "capital" plane.
/// - Embeddings are antisymmetric, `[f, -f]`, so LayerNorm subtracts a zero
///   mean and only rescales a row; block 0's MLP passes the code dimensions
///   through exactly linearly with hidden-unit pairs, since
///   `gelu(z) - gelu(-z) = z`. Later layers therefore see the codes scaled by a
///   positive number, which does not change any row's ranking.
/// - A copying head reads the name plane and writes it back: the target's
///   logit is `n`, every other name's at most `n - 1`, every other token's 0.
///   A suppression head writes it back negated. A capital head maps the
///   country plane onto the capital plane.
/// - Near-threshold heads also read a "flag" dimension set on half the
///   countries and write it onto decoy tokens with a large logit: with `k-1`
///   decoys a flagged row ranks its target exactly `k-1` (still a hit), with
///   `k` decoys exactly `k` (a miss).
/// - Every weight lies on the grid that F32, F16 and BF16 share, so copies in
///   the three dtypes hold the same numbers and must score the same.
/// Every other head is random: its scores are near 0.
public struct PlantedCheckpoint {
    public struct Shape: Sendable {
        public let name: String
        public let layers: Int
        public let heads: Int
        public let dModel: Int
        /// `nil`: just the relation words plus a little filler.
        public let vocabSize: Int?
        public let positions: Int
        /// The MLP's hidden width; `nil`: 4 × d_model, as GPT-2.
        public let mlpWidth: Int?
        /// Key/value heads of the grouped-query families; `nil`: half the query heads.
        public let kvHeads: Int?
        /// Plant a fifth of all heads, not a dozen: heads whose targets sit at
        /// the top for every pair of their relation, so ranking them needs the
        /// whole vocabulary (the benchmark's hard case).
        public let dense: Bool

        public init(
            name: String, layers: Int, heads: Int, dModel: Int, vocabSize: Int?, positions: Int,
            mlpWidth: Int? = nil, kvHeads: Int? = nil, dense: Bool = false
        ) {
            self.name = name
            self.layers = layers
            self.heads = heads
            self.dModel = dModel
            self.vocabSize = vocabSize
            self.positions = positions
            self.mlpWidth = mlpWidth
            self.kvHeads = kvHeads
            self.dense = dense
        }

        public var dMLP: Int { mlpWidth ?? 4 * dModel }

        public static let presets: [Shape] = [
            Shape(name: "tiny", layers: 4, heads: 4, dModel: 64, vocabSize: nil, positions: 32),
            Shape(name: "demo", layers: 24, heads: 16, dModel: 64, vocabSize: nil, positions: 64),
            Shape(name: "gpt2-grid", layers: 12, heads: 12, dModel: 48, vocabSize: nil, positions: 64),
            Shape(name: "gpt2", layers: 12, heads: 12, dModel: 768, vocabSize: 50257, positions: 1024),
            Shape(name: "gpt2-medium", layers: 24, heads: 16, dModel: 1024, vocabSize: 50257, positions: 1024),
            Shape(
                name: "gpt2-medium-hard", layers: 24, heads: 16, dModel: 1024, vocabSize: 50257, positions: 1024,
                dense: true),
            Shape(name: "gpt2-xl", layers: 48, heads: 25, dModel: 1600, vocabSize: 50257, positions: 1024),
            // Llama-3.1-8B's widths (write it with --arch llama: 16 GB in BF16).
            Shape(
                name: "llama-3.1-8b", layers: 32, heads: 32, dModel: 4096, vocabSize: 128_256, positions: 1024,
                mlpWidth: 14_336, kvHeads: 8),
        ]

        public static func preset(_ name: String) -> Shape? { presets.first { $0.name == name } }
    }

    public enum Role: String, Codable, Sendable {
        case copying, suppression, capital
        case nearThresholdHit = "near_threshold_hit"
        case nearThresholdMiss = "near_threshold_miss"

        var relation: String {
            switch self {
            case .copying, .suppression: return "name_copying"
            default: return "country_to_capital"
            }
        }
    }

    /// One planted head and the scores it must get at the relation's default k.
    public struct PlantedHead: Codable, Sendable, Equatable {
        public let layer: Int
        public let head: Int
        public let role: Role
        public let relation: String
        public let expectedScore: Double
        public let expectedSuppression: Double
    }

    public let shape: Shape
    public let seed: UInt64
    public let dtype: DType
    /// Also right when the model runs (`RunnableFixture`): the planted heads
    /// do their job in a forward pass, for the experiments' tests.
    public var runnable = false
    /// Only the first this many placed heads are planted, the others random:
    /// an earlier training revision, before the later heads formed. nil: all.
    public var formedHeads: Int?

    public init(shape: Shape, seed: UInt64 = 0, dtype: DType = .f32, runnable: Bool = false) {
        self.shape = shape
        self.seed = seed
        self.dtype = dtype
        self.runnable = runnable
    }

    /// Codes are integers times this power of two: exact in every dtype, and
    /// small beside the random dimensions, so that code-carrying tokens do not
    /// stand out for random heads.
    static let codeScale: Float = 0.5
    /// Spread of the random embedding dimensions.
    static let embeddingScale: Float = 4

    /// The placed heads that are planted in this revision (`formedHeads`).
    func formed(_ placements: [(layer: Int, head: Int, role: Role)]) -> [(layer: Int, head: Int, role: Role)] {
        Array(placements.prefix(formedHeads ?? placements.count))
    }

    /// Heads placed where the paper's figure has its markers (for the 24 × 16
    /// grid), plus heads the markers miss; elsewhere spread over the depth.
    public func placements() -> [(layer: Int, head: Int, role: Role)] {
        if shape.dense {
            // Every fifth head, copying and capital in turn, around the figure's own.
            var out = PlantedCheckpoint(
                shape: Shape(
                    name: shape.name, layers: shape.layers, heads: shape.heads, dModel: shape.dModel,
                    vocabSize: shape.vocabSize, positions: shape.positions), seed: seed
            ).placements()
            var used = Set(out.map { $0.layer * shape.heads + $0.head })
            for index in stride(from: 2, to: shape.layers * shape.heads, by: 5) where !used.contains(index) {
                used.insert(index)
                out.append((index / shape.heads, index % shape.heads, out.count % 2 == 0 ? .copying : .capital))
            }
            return out
        }
        if shape.layers == 24 && shape.heads == 16 {
            return [
                (0, 3, .copying), (14, 1, .copying), (16, 4, .copying), (18, 6, .copying), (19, 9, .copying),
                (21, 7, .suppression), (0, 11, .capital), (12, 5, .capital), (15, 12, .capital), (20, 10, .capital),
                (10, 2, .nearThresholdHit), (11, 8, .nearThresholdMiss),
            ]
        }
        let roles: [(Double, Role)] = [
            (0, .copying), (0.7, .copying), (0.9, .suppression), (0, .capital), (0.6, .capital),
            (0.35, .nearThresholdHit), (0.45, .nearThresholdMiss),
        ]
        var used = Set<Int>()
        return roles.enumerated().map { i, entry in
            let layer = Int((entry.0 * Double(shape.layers - 1)).rounded())
            var head = (i * 5 + 1) % shape.heads
            while used.contains(layer * shape.heads + head) { head = (head + 1) % shape.heads }
            used.insert(layer * shape.heads + head)
            return (layer, head, entry.1)
        }
    }

    /// What every layout of the fixture shares: the vocabulary, the codes
    /// tokens carry, and the planted heads with their expected scores.
    struct Plan {
        let vocab: FixtureVocabulary
        let codes: [Int: [Int: Float]]
        let decoyWeight: Float
        let planted: [PlantedHead]
        let plantedAt: [Int: Role]
    }

    func plan(placements: [(layer: Int, head: Int, role: Role)]) throws -> Plan {
        let d = shape.dModel
        let half = d / 2
        let dh = d / shape.heads
        guard d % shape.heads == 0, dh >= 4, half >= Layout.reserved + 3 else {
            throw FixtureError.shapeTooSmall(
                shape: shape.name,
                requirement: "need d_model divisible by heads, d_head ≥ 4 and d_model ≥ \(2 * (Layout.reserved + 3))")
        }
        // Vocabulary: the relation words, decoys, filler.
        var vocab = FixtureVocabulary()
        let relations = try BuiltinRelations.loadAll()
        for relation in relations {
            for pair in relation.pairs {
                vocab.addWord(pair.source)
                vocab.addWord(pair.target)
            }
        }
        let decoyWords = (0..<19).map { "zq" + String(UnicodeScalar(UInt8(97 + $0))) }
        for w in decoyWords { vocab.addWord(w) }
        var fillerRNG = SplitMix64(seed: seed ^ 0xF111E5)
        vocab.pad(to: shape.vocabSize ?? (vocab.count + 512), rng: &fillerRNG)
        if let size = shape.vocabSize, vocab.count > size {
            throw FixtureError.vocabularyTooSmall(needed: vocab.count, requested: size)
        }
        let tokenizer = try ByteLevelBPE(vocabulary: vocab.vocabulary, merges: vocab.merges)

        // Codes for the planted relations' kept pairs.
        let names = TokenizedRelation(try BuiltinRelations.load("name_copying"), tokenizer: tokenizer)
        let capitals = TokenizedRelation(try BuiltinRelations.load("country_to_capital"), tokenizer: tokenizer)
        var codes = [Int: [Int: Float]]()  // token → (dimension in f → value)
        let scale = PlantedCheckpoint.codeScale
        let nameTokens = Array(Set(names.sourceIds)).sorted()
        for (token, code) in zip(nameTokens, IntegerCodes.codes(dimensions: 4, count: nameTokens.count)) {
            for (j, v) in code.enumerated() { codes[token, default: [:]][Layout.name + j] = scale * Float(v) }
        }
        let capitalCodes = IntegerCodes.codes(dimensions: 3, count: capitals.pairsKept)
        // A target's logit in a capital head is scale² · |code|²; decoys must beat it.
        let squaredLength = capitalCodes.first.map { $0.reduce(0) { $0 + $1 * $1 } } ?? 1
        let decoyWeight = Float(1 << (Int(log2(Double(squaredLength))) + 1))
        for i in 0..<capitals.pairsKept {
            for (j, v) in capitalCodes[i].enumerated() {
                codes[capitals.sourceIds[i], default: [:]][Layout.country + j] = scale * Float(v)
                codes[capitals.targetIds[i], default: [:]][Layout.capital + j] = scale * Float(v)
            }
            if i % 2 == 0 { codes[capitals.sourceIds[i], default: [:]][Layout.flag] = 1 }
        }
        for (i, word) in decoyWords.enumerated() {
            let token = tokenizer.wordToken(word)!
            codes[token, default: [:]][i < 9 ? Layout.decoysBelowK : Layout.decoysAtK] = 1
        }

        let planted = placements.map { p -> PlantedHead in
            let rel = p.role.relation == "name_copying" ? names : capitals
            let flagged = (rel.pairsKept + 1) / 2
            let score: Double
            switch p.role {
            case .copying, .capital, .nearThresholdHit: score = 1
            case .suppression: score = 0
            case .nearThresholdMiss: score = Double(rel.pairsKept - flagged) / Double(rel.pairsKept)
            }
            return PlantedHead(
                layer: p.layer, head: p.head, role: p.role, relation: p.role.relation,
                expectedScore: score, expectedSuppression: p.role == .suppression ? 1 : 0)
        }
        var plantedAt: [Int: Role] = [:]
        for p in placements { plantedAt[p.layer * shape.heads + p.head] = p.role }
        return Plan(vocab: vocab, codes: codes, decoyWeight: decoyWeight, planted: planted, plantedAt: plantedAt)
    }

    /// Writes config.json, model.safetensors, vocab.json, merges.txt and
    /// planted.json into `directory` (created if needed).
    @discardableResult
    public func write(to directory: String) throws -> [PlantedHead] {
        let d = shape.dModel
        let dMLP = shape.dMLP
        let plan = try plan(placements: formed(placements()))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let vocabSize = plan.vocab.count
        var entries: [SafetensorsWriter.Entry] = [
            .init(name: "wte.weight", dtype: dtype, shape: [vocabSize, d]),
            .init(name: "wpe.weight", dtype: dtype, shape: [shape.positions, d]),
            .init(name: "ln_f.weight", dtype: dtype, shape: [d]),
            .init(name: "ln_f.bias", dtype: dtype, shape: [d]),
        ]
        for l in 0..<shape.layers {
            for (n, s) in [
                ("ln_1.weight", [d]), ("ln_1.bias", [d]), ("attn.c_attn.weight", [d, 3 * d]),
                ("attn.c_attn.bias", [3 * d]),
                ("attn.c_proj.weight", [d, d]), ("attn.c_proj.bias", [d]), ("ln_2.weight", [d]), ("ln_2.bias", [d]),
                ("mlp.c_fc.weight", [d, dMLP]), ("mlp.c_fc.bias", [dMLP]), ("mlp.c_proj.weight", [dMLP, d]),
                ("mlp.c_proj.bias", [d]),
            ] {
                entries.append(.init(name: "h.\(l).\(n)", dtype: dtype, shape: s))
            }
        }
        try SafetensorsWriter.write(
            to: (directory as NSString).appendingPathComponent("model.safetensors"), entries: entries
        ) { entry in
            let values = gpt2Tensor(entry.name, shape: entry.shape, plan: plan)
            return runnable ? runnableTensor(entry.name, values, plan: plan) : values
        }
        try write(configJSON(vocabSize: vocabSize), to: directory, "config.json")
        try write(plan.vocab.vocabJSON(), to: directory, "vocab.json")
        try write(plan.vocab.mergesText(), to: directory, "merges.txt")
        try write(plantedJSON(plan.planted, vocabSize: vocabSize), to: directory, "planted.json")
        return plan.planted
    }

    /// One tensor of the GPT-2 layout; the other layouts are derived from these.
    func gpt2Tensor(_ name: String, shape tensorShape: [Int], plan: Plan) -> [Float] {
        let d = shape.dModel
        let half = d / 2
        let dh = d / shape.heads
        let dMLP = shape.dMLP
        var rng = SplitMix64(seed: seed ^ fnv1a(name))
        let count = tensorShape.reduce(1, *)
        switch name {
        case "wte.weight":
            var values = [Float](repeating: 0, count: count)
            for t in 0..<tensorShape[0] {
                for j in 0..<half {
                    let v =
                        plan.codes[t]?[j]
                        ?? (j < Layout.reserved ? 0 : Grid.round(PlantedCheckpoint.embeddingScale * Grid.normal(&rng)))
                    values[t * d + j] = v
                    values[t * d + half + j] = -v
                }
            }
            return values
        case "h.0.ln_2.weight":
            return (0..<count).map { j in j % half < Layout.reserved ? 1 : Grid.round(1 + 0.1 * Grid.normal(&rng)) }
        case "h.0.ln_2.bias", "h.0.mlp.c_proj.bias":
            return (0..<count).map { j in j % half < Layout.reserved ? 0 : Grid.round(0.1 * Grid.normal(&rng)) }
        case "h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias", "h.0.mlp.c_proj.weight":
            return firstMLP(name, d: d, dMLP: dMLP, rng: &rng)
        case _ where name.hasSuffix("attn.c_attn.weight") || name.hasSuffix("attn.c_proj.weight"):
            let layer = Int(name.split(separator: ".")[1])!
            let scale = Float(1 / Double(d).squareRoot())
            var values = Grid.noise(count, scale: scale, seed: seed ^ fnv1a(name))
            for h in 0..<shape.heads {
                if let role = plan.plantedAt[layer * shape.heads + h] {
                    plant(
                        role, head: h, into: &values, isValue: name.hasSuffix("c_attn.weight"), d: d, dh: dh,
                        decoyWeight: plan.decoyWeight)
                }
            }
            return values
        case _ where name.hasSuffix(".weight") && tensorShape.count == 1:
            return (0..<count).map { _ in Grid.round(1 + 0.1 * Grid.normal(&rng)) }
        default:
            return Grid.noise(count, scale: 0.05, seed: seed ^ fnv1a(name))
        }
    }

    /// Block 0's MLP: hidden units `2c` and `2c+1` carry reserved dimension `c`
    /// through unchanged (`gelu(z) - gelu(-z) = z`); the rest are random and
    /// write only outside the reserved dimensions.
    private func firstMLP(_ name: String, d: Int, dMLP: Int, rng: inout SplitMix64) -> [Float] {
        let half = d / 2
        let linear = 2 * Layout.reserved
        switch name {
        case "h.0.mlp.c_fc.weight":
            var w = [Float](repeating: 0, count: d * dMLP)
            let scale = Float(1 / Double(d).squareRoot())
            for i in 0..<d { for u in linear..<dMLP { w[i * dMLP + u] = Grid.round(scale * Grid.normal(&rng)) } }
            for c in 0..<Layout.reserved {
                w[c * dMLP + 2 * c] = 1
                w[c * dMLP + 2 * c + 1] = -1
            }
            return w
        case "h.0.mlp.c_fc.bias":
            return (0..<dMLP).map { u in u < linear ? 0 : Grid.round(0.1 * Grid.normal(&rng)) }
        default:
            var w = [Float](repeating: 0, count: dMLP * d)
            let scale = Float(1 / Double(dMLP).squareRoot())
            for u in linear..<dMLP {
                for j in 0..<d where j % half >= Layout.reserved {
                    w[u * d + j] = Grid.round(scale * Grid.normal(&rng))
                }
            }
            for c in 0..<Layout.reserved {
                w[(2 * c) * d + c] = 1
                w[(2 * c + 1) * d + c] = -1
            }
            return w
        }
    }

    /// Overwrites one head's slice of `c_attn` (value columns) or `c_proj` (rows).
    private func plant(
        _ role: Role, head h: Int, into values: inout [Float], isValue: Bool, d: Int, dh: Int, decoyWeight: Float
    ) {
        // (read dimension, write dimension, weight) per head channel.
        var channels: [(read: Int, write: Int, weight: Float)] = []
        switch role {
        case .copying, .suppression:
            let sign: Float = role == .copying ? 1 : -1
            channels = (0..<4).map { (Layout.name + $0, Layout.name + $0, sign) }
        case .capital, .nearThresholdHit, .nearThresholdMiss:
            channels = (0..<3).map { (Layout.country + $0, Layout.capital + $0, 1) }
            let decoys = role == .nearThresholdHit ? Layout.decoysBelowK : Layout.decoysAtK
            channels.append((Layout.flag, decoys, role == .capital ? 0 : decoyWeight))
        }
        if isValue {  // c_attn [d, 3d]; W_V[h] = columns 2d + h·dh ..< 2d + (h+1)·dh
            for i in 0..<d { for j in 0..<dh { values[i * 3 * d + 2 * d + h * dh + j] = 0 } }
            for (j, c) in channels.enumerated() { values[c.read * 3 * d + 2 * d + h * dh + j] = 1 }
        } else {  // c_proj [d, d]; W_O[h] = rows h·dh ..< (h+1)·dh
            for j in 0..<dh { for o in 0..<d { values[(h * dh + j) * d + o] = 0 } }
            for (j, c) in channels.enumerated() { values[(h * dh + j) * d + c.write] = c.weight }
        }
    }

    private func configJSON(vocabSize: Int) -> String {
        """
        {
          "activation_function": "gelu_new",
          "architectures": ["GPT2LMHeadModel"],
          "headmaps_fixture": {"shape": "\(shape.name)", "seed": \(seed), "dtype": "\(dtype.rawValue)"\
        \(runnable ? ", \"runnable\": true" : "")},
          "layer_norm_epsilon": 1e-05,
          "model_type": "gpt2",
          "n_ctx": \(shape.positions),
          "n_embd": \(shape.dModel),
          "n_head": \(shape.heads),\(shape.mlpWidth.map { "\n  \"n_inner\": \($0)," } ?? "")
          "n_layer": \(shape.layers),
          "n_positions": \(shape.positions),
          "vocab_size": \(vocabSize)
        }

        """
    }

    func plantedJSON(_ planted: [PlantedHead], vocabSize: Int) -> String {
        let rows = planted.map {
            "    {\"layer\": \($0.layer), \"head\": \($0.head), \"role\": \"\($0.role.rawValue)\", "
                + "\"relation\": \"\($0.relation)\", \"expected_score\": \($0.expectedScore), "
                + "\"expected_suppression\": \($0.expectedSuppression)}"
        }
        return "{\n  \"shape\": \"\(shape.name)\",\n  \"seed\": \(seed),\n  \"planted\": [\n"
            + rows.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    func write(_ text: String, to directory: String, _ name: String) throws {
        try AtomicFile.write(Data(text.utf8), to: (directory as NSString).appendingPathComponent(name))
    }

    /// Reads the planted heads a fixture directory declares.
    public static func plantedHeads(in directory: String) throws -> [PlantedHead] {
        let path = (directory as NSString).appendingPathComponent("planted.json")
        let data = try InputFile.read(path, kind: "planted.json", limit: InputFile.Limit.smallJSON)
        struct File: Decodable { let planted: [PlantedHead] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(File.self, from: data).planted
    }
}

/// Reserved positions in the first half of the residual stream.
enum Layout {
    static let name = 0  // 4 dims
    static let country = 4  // 3 dims
    static let flag = 7
    static let capital = 8  // 3 dims
    static let decoysBelowK = 11
    static let decoysAtK = 12
    static let reserved = 13
}

/// Random values rounded onto the grid F32, F16 and BF16 share: 8 significant
/// bits, nothing below F16's smallest normal.
enum Grid {
    static func round(_ x: Float) -> Float {
        let b = HalfPrecision.float(fromBF16: HalfPrecision.bf16Bits(x))
        return abs(b) < 6.103515625e-05 ? 0 : min(max(b, -60000), 60000)
    }

    /// `count` random values of spread `scale`: normal samples from one
    /// generator seeded with `seed`, or,
    /// for tensors past 16 Mi values (only shapes of billions of parameters
    /// have them), uniform ones of the same spread made on every core in
    /// chunks seeded from `seed`, so that writing Llama-3.1-8B's shape takes a
    /// minute rather than ten. No analysis reads a distribution's shape.
    static func noise(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
        guard count > 1 << 24 else {
            var rng = SplitMix64(seed: seed)
            return (0..<count).map { _ in round(scale * normal(&rng)) }
        }
        let chunk = 1 << 20
        let chunks = (count + chunk - 1) / chunk
        let width = Float(3.0.squareRoot()) * scale
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = UncheckedBuffer(base: buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                var local = SplitMix64(seed: seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(c + 1)))
                for i in c * chunk..<min(count, (c + 1) * chunk) {
                    let u = Float(local.next() >> 40) / Float(1 << 24)
                    out.base[i] = round(width * (2 * u - 1))
                }
            }
            initialized = count
        }
    }

    /// Chunks write disjoint ranges of one buffer.
    private struct UncheckedBuffer: @unchecked Sendable { let base: UnsafeMutablePointer<Float> }

    /// A standard normal sample (Box–Muller), already on the grid.
    static func normal(_ rng: inout SplitMix64) -> Float {
        let u1 = (Double(rng.next() >> 11) + 0.5) / 9007199254740992.0
        let u2 = Double(rng.next() >> 11) / 9007199254740992.0
        return round(Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)))
    }
}

func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}
