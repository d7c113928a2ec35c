/// Mixtral (`model_type: mixtral`): Mistral's layout whose MLP is a mixture
/// of gated experts: the router `block_sparse_moe.gate`, experts
/// `block_sparse_moe.experts.E.w1|w3|w2` (gate, up, down), each token through
/// its `num_experts_per_tok` most probable experts, their probabilities
/// divided by their sum.
public enum MixtralAdapter {
    public static let adapter = LlamaAdapter.family("Mixtral", modelTypes: ["mixtral"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = LlamaAdapter.DecoderOptions(architecture: "Mixtral")
        options.slidesEveryLayer = true
        var names = LlamaAdapter.MixtureNames()
        names.block = "block_sparse_moe"
        (names.gate, names.up, names.down) = ("w1", "w3", "w2")
        names.normalizesKey = nil
        options.mixture = names
        return options
    }()
}
