/// OLMoE (`model_type: olmoe`): Llama's pre-norm blocks with OLMo's q/k
/// RMSNorms over the whole projection, and a mixture of gated experts as
/// every MLP (`mlp.gate`, `mlp.experts.E.gate_proj|up_proj|down_proj`); the
/// top-k probabilities are used as they are unless `norm_topk_prob`.
public enum OLMoEAdapter {
    public static let adapter = LlamaAdapter.family("OLMoE", modelTypes: ["olmoe"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = LlamaAdapter.DecoderOptions(architecture: "OLMoE")
        options.queryKeyNorms = true
        options.queryKeyNormsSpanHeads = true
        options.mixture = LlamaAdapter.MixtureNames()
        return options
    }()
}
