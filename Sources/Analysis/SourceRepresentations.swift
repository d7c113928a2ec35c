import Checkpoint
import LinearAlgebra

/// What a head reads of a source token, by the method's rule: layer-0 heads
/// read the raw embedding `W_E[s]`; later heads read block 0's MLP output on
/// its second LayerNorm, `MLP0(LN2_0(W_E[s]))`, with no residual.
public struct SourceRepresentations: Sendable {
    public let embedding: Matrix
    public let afterFirstMLP: Matrix

    public init(model: TransformerWeights, tokens: [Int]) throws {
        embedding = model.embedding.withMatrix { $0.gatherRows(tokens) }
        afterFirstMLP = model.firstMLP.apply(to: embedding)
        // The weights are finite (checked on reading); the MLP can still overflow.
        for (i, value) in afterFirstMLP.storage.enumerated() where !value.isFinite {
            throw AnalysisError.nonFiniteRepresentation(stage: "block 0's MLP", token: tokens[i / afterFirstMLP.cols])
        }
    }

    public func forLayer(_ layer: Int) -> Matrix { layer == 0 ? embedding : afterFirstMLP }
}
