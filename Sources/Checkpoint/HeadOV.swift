import LinearAlgebra

/// One head's OV circuit in canonical orientation: a source row `x` is
/// carried to `x · valueWeights · outputWeights`.
public struct HeadOV: Sendable {
    /// `W_V[h]`, `[d_model, d_head]`.
    public let valueWeights: Matrix
    /// `W_O[h]`, `[d_head, d_model]`.
    public let outputWeights: Matrix

    public init(valueWeights: Matrix, outputWeights: Matrix) {
        self.valueWeights = valueWeights
        self.outputWeights = outputWeights
    }
}
