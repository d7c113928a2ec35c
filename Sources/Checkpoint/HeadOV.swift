import LinearAlgebra

/// One head's OV circuit in canonical orientation: a source row `x` is
/// carried to `x · valueWeights · outputWeights`.
public struct HeadOV: Sendable {
    /// `W_V[h]`, `[d_model, d_head]`; under grouped-query attention the
    /// query heads of one KV head share it (and its storage).
    public let valueWeights: Matrix
    /// `W_O[h]`, `[d_head, d_model]`.
    public let outputWeights: Matrix
    /// The KV head whose value projection this is: heads with the same group
    /// have the same `valueWeights`, so `x·W_V` is computed once for them.
    public let valueGroup: Int

    public init(valueWeights: Matrix, outputWeights: Matrix, valueGroup: Int) {
        self.valueWeights = valueWeights
        self.outputWeights = outputWeights
        self.valueGroup = valueGroup
    }
}
