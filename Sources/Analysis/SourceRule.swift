/// Which representation of a source token a head reads.
///
/// The method's rule (`mlp0`) models what a head sees of a token at its own
/// position without running the model: layer 0 reads the raw embedding, later
/// layers the output of block 0's MLP. The paper departed from it twice, and
/// both departures are offered so its numbers can be reproduced.
public enum SourceRule: String, Sendable, CaseIterable {
    /// Layer 0 reads `W_E[s]`; layers ≥ 1 read `MLP0(LN2(W_E[s]))`.
    case mlp0 = "mlp0"
    /// Every layer reads `W_E[s]` (the paper's choice for Llama-3.1-70B).
    case embedding = "embedding"
    /// Every layer, layer 0 included, reads the MLP output (what the paper's
    /// salient-operations notebook did, by its own note accidentally).
    case mlp0AllLayers = "mlp0-all-layers"

    public func readsMLP(layer: Int) -> Bool {
        switch self {
        case .mlp0: return layer > 0
        case .embedding: return false
        case .mlp0AllLayers: return true
        }
    }

    /// What layer `layer` reads, in words (for head cards and JSON).
    public func name(layer: Int) -> String { readsMLP(layer: layer) ? "mlp0" : "embedding" }

    public var summary: String {
        switch self {
        case .mlp0: return "layer 0 reads W_E[s], later layers MLP0(LN2(W_E[s]))"
        case .embedding: return "every layer reads W_E[s]"
        case .mlp0AllLayers: return "every layer reads MLP0(LN2(W_E[s]))"
        }
    }
}
