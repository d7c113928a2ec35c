import Core
import LinearAlgebra

/// The config keys the Hugging Face decoder families share (`hidden_size`,
/// `num_attention_heads`, …), read once for every adapter but GPT-2's.
struct HFConfig {
    let file: ConfigFile
    let shape: ModelShape
    /// `intermediate_size`.
    let dMLP: Int

    init(_ config: ConfigFile, headDimKey: String? = nil) throws {
        file = config
        let layers = try config.int("num_hidden_layers")
        let heads = try config.int("num_attention_heads")
        let d = try config.int("hidden_size")
        let vocab = try config.int("vocab_size")
        let kvHeads = config.has("num_key_value_heads") ? try config.int("num_key_value_heads") : heads
        let explicitHeadDim = headDimKey.flatMap { config.has($0) ? $0 : nil }
        let dHead: Int
        if let key = explicitHeadDim {
            dHead = try config.int(key)
        } else {
            guard d % heads == 0 else {
                throw CheckpointError.invalidConfig(
                    file: config.path, key: "hidden_size",
                    problem: "hidden_size \(d) is not divisible by num_attention_heads \(heads)")
            }
            dHead = d / heads
        }
        guard heads % kvHeads == 0 else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: "num_key_value_heads",
                problem: "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        shape = ModelShape(layers: layers, heads: heads, dModel: d, vocab: vocab, kvHeads: kvHeads, dHead: dHead)
        try shape.checkLimits(
            config: config.path,
            keys: (
                layers: "num_hidden_layers", heads: "num_attention_heads", dModel: "hidden_size", vocab: "vocab_size"
            ))
        guard dHead <= ModelShape.Limits.width, heads * dHead <= ModelShape.Limits.width else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: explicitHeadDim ?? "hidden_size",
                problem: "heads × head width \(heads) × \(dHead) is larger than the limit of \(ModelShape.Limits.width)"
            )
        }
        dMLP = try config.int("intermediate_size")
        guard dMLP <= ModelShape.Limits.width else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: "intermediate_size",
                problem: "intermediate_size \(dMLP) is larger than the limit of \(ModelShape.Limits.width)")
        }
    }

    /// The MLP activation named by the first of `keys` the config has.
    func activation(keys: [String], default fallback: String) throws -> Activation {
        let key = keys.first(where: file.has) ?? keys[0]
        let name = try file.string(key, default: fallback)
        guard let activation = Activation(configName: name) else {
            throw CheckpointError.invalidConfig(
                file: file.path, key: key,
                problem:
                    "\(key) '\(Excerpt.short(name))' is not supported "
                    + "(known: \(Activation.knownNames.joined(separator: ", ")))"
            )
        }
        return activation
    }

    func epsilon(_ key: String, default fallback: Double) throws -> Float {
        Float(try file.double(key, default: fallback))
    }

    /// The rotary embedding of a head `headWidth` wide, from `rope_theta`
    /// (or the family's older `thetaKeys`), the fraction of each head it
    /// turns (`partial_rotary_factor`, or `fractionKeys`) and `rope_scaling`
    /// (transformers 4), or all of them from `rope_parameters` (transformers 5).
    /// Scalings that change the frequencies are applied (`linear`, Llama
    /// 3.1's `llama3`); others are refused by name, never silently ignored.
    func rotary(
        headWidth: Int, thetaKeys: [String] = ["rope_theta"], fractionKeys: [String] = ["partial_rotary_factor"]
    ) throws -> ModelWeights.Rotary {
        // transformers 5 nests Gemma 3's two rotary settings under the layer types.
        let parameters = file.section("rope_parameters").map { $0.section("full_attention") ?? $0 }
        let scaling = parameters ?? file.section("rope_scaling")
        func number(_ keys: [String], default fallback: Double) throws -> Double {
            if let parameters, let key = keys.first(where: parameters.has) { return try parameters.double(key) }
            if let key = keys.first(where: file.has) { return try file.double(key) }
            return fallback
        }
        let theta = try number(["rope_theta"] + thetaKeys, default: 10_000)
        let dimensions = Int(Double(headWidth) * (try number(["partial_rotary_factor"] + fractionKeys, default: 1)))
        let kind =
            try scaling.map { s in try s.string(s.has("rope_type") ? "rope_type" : "type", default: "default") }
            ?? "default"
        let standard = ModelWeights.Rotary.standard(dimensions: dimensions, base: Float(theta))
        switch kind {
        case "default":
            return standard
        case "linear":
            let factor = Float(try scaling!.double("factor"))
            return ModelWeights.Rotary(inverseFrequencies: standard.inverseFrequencies.map { $0 / factor })
        case "llama3":
            let s = scaling!
            let factor = try s.double("factor")
            let low = try s.double("low_freq_factor")
            let high = try s.double("high_freq_factor")
            let context = try s.double("original_max_position_embeddings")
            let lowWavelength = context / low
            let highWavelength = context / high
            return ModelWeights.Rotary(
                inverseFrequencies: standard.inverseFrequencies.map { f in
                    let frequency = Double(f)
                    let wavelength = 2 * Double.pi / frequency
                    if wavelength < highWavelength { return f }
                    if wavelength > lowWavelength { return Float(frequency / factor) }
                    let smooth = (context / wavelength - low) / (high - low)
                    return Float((1 - smooth) * frequency / factor + smooth * frequency)
                })
        default:
            throw CheckpointError.invalidConfig(
                file: scaling?.path ?? file.path, key: "rope_type",
                problem:
                    "rotary scaling '\(Excerpt.short(kind))' is not supported by the forward pass (supported: "
                    + "default, linear, llama3)"
            )
        }
    }

    /// The sliding layers' own rotary embedding: `rope_parameters.sliding_attention`
    /// (transformers 5), else base `key` unscaled; nil when the config has neither.
    func localRotary(headWidth: Int, key: String) throws -> ModelWeights.Rotary? {
        if let local = file.section("rope_parameters")?.section("sliding_attention") {
            let kind = try local.string("rope_type", default: "default")
            guard kind == "default" else {
                throw CheckpointError.invalidConfig(
                    file: local.path, key: "rope_type",
                    problem:
                        "rotary scaling '\(Excerpt.short(kind))' of the sliding layers is not supported (supported: "
                        + "default)"
                )
            }
            return .standard(dimensions: headWidth, base: Float(try local.double("rope_theta")))
        }
        guard file.has(key) else { return nil }
        return .standard(dimensions: headWidth, base: Float(try file.double(key)))
    }

    /// Which layers attend within a sliding window, and how wide: the
    /// config's `layer_types` where it lists them; else every layer but each
    /// `sliding_window_pattern`-th (Gemma 3's older configs), or the family's
    /// own pattern: every layer (`everyLayer`: Mistral, Phi-3) or every
    /// other one from layer 0 (`alternating`: Gemma 2) — when `sliding_window` is set.
    func slidingWindow(layer: Int, everyLayer: Bool = false, alternating: Bool = false) throws -> Int? {
        guard file.has("sliding_window") else { return nil }
        let types = file.strings("layer_types")
        let sliding: Bool
        if !types.isEmpty {
            sliding = layer < types.count && types[layer] == "sliding_attention"
        } else if everyLayer {
            sliding = true
        } else if file.has("sliding_window_pattern") {
            sliding = (layer + 1) % (try file.int("sliding_window_pattern")) != 0
        } else {
            sliding = alternating && layer % 2 == 0
        }
        return sliding ? try file.int("sliding_window") : nil
    }

    /// Whether the output embedding is the input one: `tie_word_embeddings`
    /// (default `defaultTied`), overridden by the presence of the untied tensor.
    func tied(default defaultTied: Bool) -> Bool {
        (try? file.bool("tie_word_embeddings")) ?? defaultTied
    }
}

/// Reads that only running the model needs (positions, rotary scaling):
/// their errors are kept for `ModelWeights.runError` rather than thrown, so
/// that the static analysis still reads a model the forward pass cannot run.
struct RunOnlyReads {
    private(set) var error: CheckpointError?

    mutating func read<T>(_ body: () throws -> T) throws -> T? {
        do {
            return try body()
        } catch let failure as CheckpointError {
            if error == nil { error = failure }
            return nil
        }
    }
}

extension CheckpointDirectory {
    /// Every block's `[out, in]` linear layers for the forward pass, from a
    /// table of (name within a block, out, in): all checked now, so a bad
    /// file fails before the first run; each read, with its bias where the
    /// checkpoint has one, when its block is.
    func decoderLinears(_ table: [(name: String, out: Int, in: Int)], layers: Int) throws -> DecoderLinears {
        try decoderLinears(layers: layers) { _ in table }
    }

    /// The same, from each layer's own table (a mixture of experts' sparse
    /// and dense layers name different tensors).
    func decoderLinears(
        layers: Int, _ table: (Int) -> [(name: String, out: Int, in: Int)]
    ) throws -> DecoderLinears {
        let tables = (0..<layers).map(table)
        try requireTensors(
            tables.enumerated().flatMap { l, rows in rows.map { ("layers.\(l).\($0.name).weight", [$0.out, $0.in]) } })
        return DecoderLinears(
            checkpoint: self,
            widths: Dictionary(tables.joined().map { ($0.name, ($0.out, $0.in)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// A LayerNorm with weight and bias.
    func layerNorm(_ name: String, count: Int, epsilon: Float) throws -> Norm {
        .layerNorm(
            weight: try vector("\(name).weight", count: count), bias: try vector("\(name).bias", count: count),
            epsilon: epsilon)
    }

    /// Checks that every tensor is present with its shape and a weight dtype,
    /// before any scoring starts, so a bad file fails in the first second
    /// rather than halfway through.
    func requireTensors(_ expected: [(name: String, shape: [Int])]) throws {
        for (name, shape) in expected {
            guard let found = self.shape(of: name) else {
                throw CheckpointError.missingTensor(folder: path, tensor: name, expectedShape: shape)
            }
            guard found == shape else {
                throw CheckpointError.wrongShape(
                    file: file(holding: name), tensor: storedName(of: name), found: found, expected: shape)
            }
            try checkWeightType(name)
        }
    }

    /// The output embedding: the untied tensor when the checkpoint has it,
    /// else the input embedding.
    func unembedding(_ name: String, embedding: FloatTensor, shape: ModelShape) throws -> FloatTensor {
        self.shape(of: name) == nil ? embedding : try tensor(name, shape: [shape.vocab, shape.dModel])
    }
}

/// A decoder's linear layers by block and name (`CheckpointDirectory.decoderLinears`).
struct DecoderLinears: Sendable {
    let checkpoint: CheckpointDirectory
    let widths: [String: (out: Int, in: Int)]

    func callAsFunction(_ layer: Int, _ name: String) throws -> ModelWeights.Linear {
        guard let (out, inputs) = widths[name] else { preconditionFailure("'\(name)' is not in the adapter's table") }
        let prefix = "layers.\(layer).\(name)"
        return ModelWeights.Linear(
            weight: try checkpoint.tensor("\(prefix).weight", shape: [out, inputs]), storedOutIn: true,
            bias: checkpoint.shape(of: "\(prefix).bias") == nil
                ? [] : try checkpoint.vector("\(prefix).bias", count: out))
    }
}
