/// Gemma 2 (`model_type: gemma2`): Llama's layout with Gemma's choices, as
/// TransformerLens applies them: head width from `head_dim`, a GeGLU MLP
/// (`gelu_pytorch_tanh`), RMSNorm multiplying by `1 + w`, the embedding scaled
/// by `sqrt(d_model)` before use as a source (`W_U` unscaled), tied
/// embeddings, and `pre_feedforward_layernorm` in front of the MLP (its
/// `post_feedforward_layernorm` acts on the branch's output, which the method
/// takes as it is).
public enum Gemma2Adapter {
    public static let adapter = LlamaAdapter.family("Gemma 2", modelTypes: ["gemma2"], options: options)

    /// Running the model adds what the method does not see: the norms of
    /// each branch's output, attention scores scaled by
    /// `query_pre_attn_scalar^-½` and soft-capped, as are the final logits,
    /// and a sliding window on every other layer.
    static let options: LlamaAdapter.DecoderOptions = {
        var options = LlamaAdapter.DecoderOptions(architecture: "Gemma 2")
        options.mlpNorm = "pre_feedforward_layernorm"
        options.normsBranchOutputs = true
        options.normWeightOffset = 1
        options.scalesEmbedding = true
        options.activationKeys = ["hidden_activation", "hidden_act"]
        options.defaultActivation = "gelu_pytorch_tanh"
        options.tiedByDefault = true
        options.alternatesSlidingLayers = true
        options.gemmaAttention = true
        return options
    }()
}
