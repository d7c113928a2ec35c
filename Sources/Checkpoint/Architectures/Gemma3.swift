/// Gemma 3's text model (`model_type: gemma3_text`): Gemma 2's layout without
/// the soft caps, with an RMSNorm over each query and key head (`q_norm`,
/// `k_norm`, `1 + w`), five sliding layers to each global one
/// (`layer_types`, or `sliding_window_pattern`), the sliding layers turning
/// at their own rotary base (`rope_local_base_freq`).
public enum Gemma3Adapter {
    public static let adapter = LlamaAdapter.family("Gemma 3", modelTypes: ["gemma3_text"], options: options)

    static let options: LlamaAdapter.DecoderOptions = {
        var options = Gemma2Adapter.options
        options.architecture = "Gemma 3"
        options.alternatesSlidingLayers = false
        options.queryKeyNorms = true
        options.localRotaryBaseKey = "rope_local_base_freq"
        return options
    }()
}
