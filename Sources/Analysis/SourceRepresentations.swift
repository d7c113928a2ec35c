import Checkpoint
import LinearAlgebra

/// What a head reads of a source token, by a `SourceRule` (the method's:
/// layer 0 the raw embedding `W_E[s]`, later layers block 0's MLP output on
/// its norm, `MLP0(LN2_0(W_E[s]))`, with no residual).
public struct SourceRepresentations: Sendable {
    public let embedding: Matrix
    /// `nil` when the rule never reads the MLP.
    public let afterFirstMLP: Matrix?
    public let rule: SourceRule

    public init(model: TransformerWeights, tokens: [Int], rule: SourceRule = .mlp0) throws {
        self.rule = rule
        embedding = model.embeddingRows(tokens)
        afterFirstMLP =
            rule == .embedding
            ? nil : try SourceRepresentations.firstMLP(model: model, embedding: embedding, tokens: tokens)
    }

    static func firstMLP(model: TransformerWeights, embedding: Matrix, tokens: [Int]) throws -> Matrix {
        let out = model.firstMLP.apply(to: embedding)
        // The weights are finite (checked on reading); the MLP can still overflow.
        for (i, value) in out.storage.enumerated() where !value.isFinite {
            throw AnalysisError.nonFiniteRepresentation(stage: "block 0's MLP", token: tokens[i / out.cols])
        }
        return out
    }

    public func forLayer(_ layer: Int) -> Matrix { rule.readsMLP(layer: layer) ? afterFirstMLP! : embedding }
}
