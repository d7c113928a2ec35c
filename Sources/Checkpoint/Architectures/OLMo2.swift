/// OLMo 2 (`model_type: olmo2`): Llama's projections and gated SiLU MLP, but
/// each branch reads the residual stream un-normed and norms its output
/// (`post_attention_layernorm`, `post_feedforward_layernorm`) before it joins
/// the stream; q/k RMSNorms over the whole projection. As a source, block 0's
/// MLP output is taken as it joins the stream: `post_feedforward_layernorm(MLP(x))`.
public enum OLMo2Adapter {
    public static let adapter = LlamaAdapter.family("OLMo 2", modelTypes: ["olmo2"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = LlamaAdapter.DecoderOptions(architecture: "OLMo 2")
        options.normsBranchInputs = false
        options.normsBranchOutputs = true
        options.queryKeyNorms = true
        options.queryKeyNormsSpanHeads = true
        return options
    }()
}
