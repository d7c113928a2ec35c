/// Qwen3 (`model_type: qwen3`): Llama's layout without q/k/v biases, with
/// `head_dim` apart from `d_model / heads` and an RMSNorm over each query and
/// key head (`q_norm`, `k_norm`) before the rotary embedding.
public enum Qwen3Adapter {
    public static let adapter = LlamaAdapter.family("Qwen3", modelTypes: ["qwen3"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = LlamaAdapter.DecoderOptions(architecture: "Qwen3")
        options.queryKeyNorms = true
        return options
    }()
}
