import Core
import LinearAlgebra

/// GPT-2 (and its family: distilgpt2, gpt2-medium/large/xl).
///
/// GPT-2's `Conv1D` stores weights `[in, out]`, which is already the
/// canonical "row vector times matrix" orientation: `c_attn` is `[d, 3d]`
/// with the value projection in columns `2d..<3d`, `c_proj` is `[d, d]` with
/// head `h` reading rows `h·dh..<(h+1)·dh`.
public enum GPT2Adapter {
    public static let adapter = ArchitectureAdapter(name: "GPT-2", modelTypes: ["gpt2"], model: model)

    public static func shape(_ config: ConfigFile) throws -> ModelShape {
        let layers = try config.int("n_layer")
        let heads = try config.int("n_head")
        let d = try config.int("n_embd")
        let vocab = try config.int("vocab_size")
        guard d % heads == 0 else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: "n_embd", problem: "n_embd \(d) is not divisible by n_head \(heads)")
        }
        let shape = ModelShape(layers: layers, heads: heads, dModel: d, vocab: vocab)
        try shape.checkLimits(
            config: config.path, keys: (layers: "n_layer", heads: "n_head", dModel: "n_embd", vocab: "vocab_size"))
        return shape
    }

    /// The MLP's activation, the norms' epsilon and the MLP width, from config.json.
    static func blockSettings(_ config: ConfigFile, d: Int) throws -> (Activation, Float, Int) {
        let activationName = try config.string("activation_function", default: "gelu_new")
        guard let activation = Activation(configName: activationName) else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: "activation_function",
                problem:
                    "activation_function '\(Excerpt.short(activationName))' is not supported "
                    + "(known: \(Activation.knownNames.joined(separator: ", ")))"
            )
        }
        let dMLP = config.has("n_inner") ? try config.int("n_inner") : 4 * d
        guard dMLP <= ModelShape.Limits.width else {
            throw CheckpointError.invalidConfig(
                file: config.path, key: "n_inner",
                problem: "n_inner \(dMLP) is larger than the limit of \(ModelShape.Limits.width)")
        }
        return (activation, Float(try config.double("layer_norm_epsilon", default: 1e-5)), dMLP)
    }

    /// Every block: Conv1D weights are already `[in, out]`; learned positions.
    @Sendable public static func model(_ checkpoint: CheckpointDirectory) throws -> ModelWeights {
        let config = checkpoint.config
        let shape = try shape(config)
        let d = shape.dModel
        let (activation, epsilon, dMLP) = try blockSettings(config, d: d)
        try checkpoint.checkNoLayers(from: shape.layers, prefix: "h.", declaredBy: "n_layer")
        let embedding = try checkpoint.tensor("wte.weight", shape: [shape.vocab, d], deferred: true)
        @Sendable func norm(_ name: String) throws -> Norm {
            .layerNorm(
                weight: try checkpoint.vector("\(name).weight", count: d),
                bias: try checkpoint.vector("\(name).bias", count: d), epsilon: epsilon)
        }
        let blockTensors: [(String, [Int])] = [
            ("attn.c_attn.weight", [d, 3 * d]), ("attn.c_proj.weight", [d, d]),
            ("mlp.c_fc.weight", [d, dMLP]), ("mlp.c_proj.weight", [dMLP, d]),
        ]
        try checkpoint.requireTensors((0..<shape.layers).flatMap { l in blockTensors.map { ("h.\(l).\($0.0)", $0.1) } })
        @Sendable func conv1D(_ name: String, _ inputs: Int, _ outputs: Int) throws -> ModelWeights.Linear {
            ModelWeights.Linear(
                weight: try checkpoint.tensor("\(name).weight", shape: [inputs, outputs]), storedOutIn: false,
                bias: try checkpoint.vector("\(name).bias", count: outputs))
        }
        var runOnly = RunOnlyReads()
        let positions = try runOnly.read { () throws -> FloatTensor in
            guard let positions = checkpoint.shape(of: "wpe.weight"), positions.count == 2, positions[1] == d else {
                throw CheckpointError.missingTensor(
                    folder: checkpoint.path, tensor: "wpe.weight", expectedShape: [try config.int("n_positions"), d])
            }
            return try checkpoint.tensor("wpe.weight", shape: positions)
        }
        var weights = ModelWeights(
            architecture: "GPT-2", shape: shape, embedding: embedding, positions: positions,
            maximumPositions: positions?.shape[0] ?? 0,
            finalNorm: try norm("ln_f"),
            unembedding: try checkpoint.unembedding("lm_head.weight", embedding: embedding, shape: shape),
            attention: { l in
                ModelWeights.Attention(
                    norm: try norm("h.\(l).ln_1"), queryKeyValue: [try conv1D("h.\(l).attn.c_attn", d, 3 * d)],
                    output: try conv1D("h.\(l).attn.c_proj", d, d))
            },
            feedForward: { l in
                ModelWeights.FeedForward(
                    norm: try norm("h.\(l).ln_2"),
                    mlp: .plain(
                        input: try conv1D("h.\(l).mlp.c_fc", d, dMLP), output: try conv1D("h.\(l).mlp.c_proj", dMLP, d),
                        activation: activation))
            },
            checkUnchanged: { try checkpoint.checkUnchanged() })
        weights.runError = runOnly.error
        return weights
    }
}
