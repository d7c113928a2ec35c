import Checkpoint
import LinearAlgebra

/// The method computed the plain way, as the paper's code does: per head and
/// relation, `W_VO = W_V·W_O`, the full `[n, vocab]` logit matrix
/// `x·W_VO·W_U`, then the target's rank in each row.
///
/// Slow on purpose: it is the independent check of `RelationScorer` and the
/// baseline the benchmark measures against.
public struct ReferenceScorer {
    public enum Ranking {
        /// Count the other logits at least as large (small) as the target's.
        case count
        /// Sort the whole row and look up the target's position: obviously
        /// right, and slow. Ties put the target last, as `count` does.
        case fullSort
    }

    public let model: TransformerWeights
    public var ranking: Ranking = .count
    public var sourceRule: SourceRule

    public init(model: TransformerWeights, ranking: Ranking = .count, sourceRule: SourceRule = .mlp0) {
        self.model = model
        self.ranking = ranking
        self.sourceRule = sourceRule
    }

    public func score(_ relations: [TokenizedRelation]) throws -> [RelationScores] {
        let shape = model.shape
        let largestUnembeddingNorm = model.unembedding.withMatrix { LogitBound.largestRowNorm($0) }
        let representations = try relations.map { rel in
            rel.skipped ? nil : try SourceRepresentations(model: model, tokens: rel.sourceIds, rule: sourceRule)
        }
        var hits = relations.map { _ in [[Int]](repeating: [Int](repeating: 0, count: shape.heads), count: shape.layers)
        }
        var suppressionHits = hits
        for layer in 0..<shape.layers {
            for (h, head) in try model.heads(ofLayer: layer).enumerated() {
                let wVO = Products.multiply(head.valueWeights, head.outputWeights)
                for (r, rel) in relations.enumerated() {
                    guard let x = representations[r]?.forLayer(layer) else { continue }
                    let xVO = Products.multiply(x, wVO)
                    let logits = model.logits(of: xVO)
                    for i in 0..<x.rows {
                        let row = logits[(i * shape.vocab)..<((i + 1) * shape.vocab)]
                        let target = rel.targetIds[i]
                        let margin = ScoringSettings.tieMargin(
                            row: i, of: xVO, largestUnembeddingNorm: largestUnembeddingNorm)
                        let (larger, smaller) = rank(of: target, in: Array(row), margin: margin)
                        if larger < rel.k { hits[r][layer][h] += 1 }
                        if smaller < rel.k { suppressionHits[r][layer][h] += 1 }
                    }
                }
            }
        }
        return relations.enumerated().map { r, rel in
            RelationScores(
                name: rel.relation.name, title: rel.relation.title, k: rel.k,
                pairsTotal: rel.pairsTotal, pairsKept: rel.pairsKept, skipReason: rel.skipReason,
                hits: rel.skipped ? [] : hits[r], suppressionHits: rel.skipped ? [] : suppressionHits[r])
        }
    }

    /// How many logits rank above the target from the top and from the
    /// bottom; logits within `margin` of the target's are ties (`ScoringSettings.tieTolerance`).
    private func rank(of target: Int, in row: [Float], margin: Float) -> (fromTop: Int, fromBottom: Int) {
        let t = row[target]
        switch ranking {
        case .count:
            var above = 0
            var below = 0
            for (j, v) in row.enumerated() where j != target {
                if v >= t - margin { above += 1 }
                if v <= t + margin { below += 1 }
            }
            return (above, below)
        case .fullSort:
            // Logits within the margin are snapped to the target's, so ties sort it last.
            let snapped = row.map { abs($0 - t) <= margin ? t : $0 }
            let order = row.indices.sorted { a, b in
                snapped[a] != snapped[b] ? snapped[a] > snapped[b] : (b == target) && a != target
            }
            let reverse = row.indices.sorted { a, b in
                snapped[a] != snapped[b] ? snapped[a] < snapped[b] : (b == target) && a != target
            }
            return (order.firstIndex(of: target)!, reverse.firstIndex(of: target)!)
        }
    }
}
