/// Qwen2 and Qwen2.5 (`model_type: qwen2`): Llama's layout, plus biases on
/// q/k/v, which the method does not use (the forward pass does). Small Qwen2 models tie their
/// embeddings (`tie_word_embeddings`).
public enum Qwen2Adapter {
    public static let adapter = ArchitectureAdapter(name: "Qwen2", modelTypes: ["qwen2"], load: { checkpoint in
        try LlamaAdapter.load(checkpoint, options: LlamaAdapter.DecoderOptions(architecture: "Qwen2"))
    }, decoder: { checkpoint in
        try LlamaAdapter.decoder(checkpoint, options: LlamaAdapter.DecoderOptions(architecture: "Qwen2"))
    })
}
