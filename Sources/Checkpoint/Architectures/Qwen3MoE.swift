/// Qwen3-MoE (`model_type: qwen3_moe`): Qwen3's attention (per-head q/k
/// RMSNorms, `head_dim`) with a mixture of gated experts
/// (`mlp.gate`, `mlp.experts.E.*`, `moe_intermediate_size` wide) in every
/// layer but those of `mlp_only_layers` and off the `decoder_sparse_step`,
/// which keep a dense MLP of `intermediate_size`.
public enum Qwen3MoEAdapter {
    public static let adapter = LlamaAdapter.family("Qwen3-MoE", modelTypes: ["qwen3_moe"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = Qwen3Adapter.options
        options.architecture = "Qwen3-MoE"
        var names = LlamaAdapter.MixtureNames()
        names.widthKey = "moe_intermediate_size"
        options.mixture = names
        return options
    }()
}
