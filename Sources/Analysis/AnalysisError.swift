/// Analysis failures that are about the numbers, not a file.
public enum AnalysisError: Error, CustomStringConvertible, Equatable {
    case logitsMayOverflow(layer: Int, head: Int, bound: Double)
    case nonFiniteRepresentation(stage: String, token: Int)
    case kNotBelowVocabulary(relation: String, k: Int, vocab: Int)
    case blasNotSingleThreaded(threads: Int)
    case tokenOutsideVocabulary(relation: String, id: Int, vocab: Int)

    public var description: String {
        switch self {
        case .logitsMayOverflow(let l, let h, let bound):
            return
                "head \(l).\(h): its logits could "
                + "reach \(bound.isFinite ? String(format: "%.3g", bound) : "infinity"), beyond float32's range "
                + "(\(String(format: "%.3g", Double(Float.greatestFiniteMagnitude)))); the checkpoint's W_V, "
                + "W_O or embedding values are out of any trained model's range, and its scores would be "
                + "meaningless"
        case .nonFiniteRepresentation(let stage, let token):
            return
                "\(stage) gives non-finite values (NaN or ±Inf) for token id \(token); the checkpoint's first block "
                + "is out of range"
        case .kNotBelowVocabulary(let relation, let k, let vocab):
            return
                "relation '\(relation)': k = \(k) is not below the vocabulary size \(vocab); every target would be in "
                + "the top k"
        case .tokenOutsideVocabulary(let relation, let id, let vocab):
            return
                "relation '\(relation)': token id \(id) is outside the model's vocabulary of \(vocab); the tokenizer "
                + "does not belong to this model"
        case .blasNotSingleThreaded(let threads):
            return
                "OpenBLAS runs \(threads) threads per call; the scorer parallelises over heads itself and needs one, "
                + "so that results never depend on the thread count: call BLAS.useSingleThread() once at start-up"
        }
    }
}
