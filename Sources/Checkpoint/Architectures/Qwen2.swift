/// Qwen2 and Qwen2.5 (`model_type: qwen2`): Llama's layout, plus biases on
/// q/k/v, which the method does not use (the forward pass does). Small Qwen2 models tie their
/// embeddings (`tie_word_embeddings`).
public enum Qwen2Adapter {
    public static let adapter = LlamaAdapter.family(
        "Qwen2", modelTypes: ["qwen2"], options: LlamaAdapter.DecoderOptions(architecture: "Qwen2"))
}
