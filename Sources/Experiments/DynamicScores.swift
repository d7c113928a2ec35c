import Analysis
import Checkpoint
import Core
import ForwardPass
import Foundation
import LinearAlgebra
import Tokenizer

/// The paper's first experiment: do the static maps predict what heads do
/// when the model runs? For each relation and template, one prompt per kept
/// pair with the source word in it; a head's output at the last position,
/// `z·W_O[h]·W_U` (no final norm, no bias), hits when the pair's target is in
/// its top k. With context: the run's own `z`. Without context: `z` with the
/// head's attention at the last position forced onto the source (its value
/// vector there; the residual stream stays the clean run's). The same k and
/// tie rule as the static scores; Pearson correlations against them.
public struct DynamicScores: Sendable {
    public static let paperTemplates = ["No <X> means no", "The story of <X> contains", "This is a document about <X>",
                                        "When I think about <X> I think about"]

    public struct Counts: Sendable {
        /// Hits per `[layer][head]`, of `prompts`.
        public let hits: [[Int]]
        public let suppressionHits: [[Int]]
        public let prompts: Int
        public var scores: [[Double]] { hits.map { $0.map { prompts == 0 ? 0 : Double($0) / Double(prompts) } } }
        public var suppression: [[Double]] { suppressionHits.map { $0.map { prompts == 0 ? 0 : Double($0) / Double(prompts) } } }
    }

    public struct TemplateResult: Sendable {
        public let template: String
        /// Pairs whose prompt did not have the template's common length or source position.
        public let dropped: Int
        public let withContext: Counts
        public let withoutContext: Counts
    }

    public struct RelationResult: Sendable {
        public let name: String
        public let k: Int
        public let pairsKept: Int
        public let templates: [TemplateResult]
        /// Static against dynamic over heads × templates: with and without context, scores and suppression.
        public let withContext: (score: Correlation, suppression: Correlation)
        public let withoutContext: (score: Correlation, suppression: Correlation)
    }

    /// - Parameters:
    ///   - statics: the relation's static scores (the same k).
    ///   - batchSize: prompts per forward pass.
    public static func run(relation: TokenizedRelation, statics: RelationScores, model: TransformerWeights, decoder: DecoderWeights,
                           tokenizer: any Tokenizer, templates: [String] = paperTemplates, batchSize: Int = 256,
                           log: (String) -> Void = { _ in }) throws -> RelationResult {
        let shape = model.shape
        let forward = ForwardPass(weights: decoder)
        var results: [TemplateResult] = []
        for template in templates {
            // One prompt per kept pair; those with the common length and source position.
            let prompts = relation.keptPairs.indices.map { i in
                tokenizer.encode(template.replacingOccurrences(of: "<X>", with: relation.keptPairs[i].source))
            }
            var shapes: [[Int]: Int] = [:]
            for (i, ids) in prompts.enumerated() {
                if let p = ids.firstIndex(of: relation.sourceIds[i]) { shapes[[ids.count, p], default: 0] += 1 }
            }
            // The most common (length, source position); ties to the shorter prompt.
            let ordered = shapes.keys.sorted { a, b in shapes[a]! != shapes[b]! ? shapes[a]! > shapes[b]! : a.lexicographicallyPrecedes(b) }
            guard let common = ordered.first else {
                throw ExperimentError.noPrompt(template: template, relation: relation.relation.name)
            }
            let kept = prompts.indices.filter { prompts[$0].count == common[0] && prompts[$0].firstIndex(of: relation.sourceIds[$0]) == common[1] }
            let (length, position) = (common[0], common[1])
            // Record every head's z at the last position and its value vector at the source.
            var interventions = Interventions()
            for l in 0..<shape.layers {
                for h in 0..<shape.heads {
                    interventions.recorded[HeadIndex(layer: l, head: h)] = length - 1
                    interventions.recordedValues[HeadIndex(layer: l, head: h)] = position
                }
            }
            let clock = ContinuousClock(), started = clock.now
            var z = [HeadIndex: Matrix](), v = [HeadIndex: Matrix]()
            for start in stride(from: 0, to: kept.count, by: batchSize) {
                let chunk = Array(kept[start..<min(kept.count, start + batchSize)])
                let output = try forward.run(chunk.map { prompts[$0] }, interventions: interventions)
                for (index, m) in output.recorded { z[index] = z[index].map { append($0, m) } ?? m }
                for (index, m) in output.recordedValues { v[index] = v[index].map { append($0, m) } ?? m }
            }
            let ranked = clock.now
            let targets = kept.map { relation.targetIds[$0] }
            let with = try count(model: model, rows: z, targets: targets, k: relation.k)
            let without = try count(model: model, rows: v, targets: targets, k: relation.k)
            log(String(format: "  %@, '%@': %d prompts of %d tokens; run %.1f s, ranked %.1f s", relation.relation.name, template, kept.count, length,
                       (ranked - started).seconds, (clock.now - ranked).seconds))
            results.append(TemplateResult(template: template, dropped: relation.pairsKept - kept.count, withContext: with, withoutContext: without))
        }
        let staticScores = Array(statics.scores.joined()), staticSuppression = Array(statics.suppression.joined())
        func correlation(_ values: (TemplateResult) -> [[Double]], _ statics: [Double]) -> Correlation {
            Correlation.pearson(Array(repeating: statics, count: results.count).flatMap { $0 }, results.flatMap { Array(values($0).joined()) })
        }
        return RelationResult(name: relation.relation.name, k: relation.k, pairsKept: relation.pairsKept, templates: results,
                              withContext: (correlation({ $0.withContext.scores }, staticScores), correlation({ $0.withContext.suppression }, staticSuppression)),
                              withoutContext: (correlation({ $0.withoutContext.scores }, staticScores), correlation({ $0.withoutContext.suppression }, staticSuppression)))
    }

    static func append(_ a: Matrix, _ b: Matrix) -> Matrix { Matrix(rows: a.rows + b.rows, cols: a.cols, storage: a.storage + b.storage) }

    /// Every head's rows ranked over the vocabulary by the static scores' engine.
    static func count(model: TransformerWeights, rows: [HeadIndex: Matrix], targets: [Int], k: Int) throws -> Counts {
        let shape = model.shape
        var hits = [[Int]](repeating: [Int](repeating: 0, count: shape.heads), count: shape.layers)
        var suppression = hits
        guard !targets.isEmpty else { return Counts(hits: hits, suppressionHits: suppression, prompts: 0) }
        try RelationScorer.rank(model: model, targets: targets, k: k, values: { layer in
            (0..<shape.heads).map { rows[HeadIndex(layer: layer, head: $0)]! }
        }, record: { layer, head, _, hit, suppressionHit in
            if hit { hits[layer][head] += 1 }
            if suppressionHit { suppression[layer][head] += 1 }
        })
        return Counts(hits: hits, suppressionHits: suppression, prompts: targets.count)
    }
}

public enum ExperimentError: Error, CustomStringConvertible, Equatable {
    case noPrompt(template: String, relation: String)
    case badTemplate(file: String, problem: String)

    public var description: String {
        switch self {
        case .noPrompt(let template, let relation): return "template '\(Excerpt.short(template))': no prompt of \(relation) holds its source as one token"
        case .badTemplate(let file, let problem): return "\(file): \(problem)"
        }
    }
}
