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
    public static let paperTemplates = [
        "No <X> means no", "The story of <X> contains", "This is a document about <X>",
        "When I think about <X> I think about",
    ]

    public struct Counts: Sendable {
        /// Hits per `[layer][head]`, of `prompts`.
        public let hits: [[Int]]
        public let suppressionHits: [[Int]]
        public let prompts: Int
        public var scores: [[Double]] { hits.map { $0.map { prompts == 0 ? 0 : Double($0) / Double(prompts) } } }
        public var suppression: [[Double]] {
            suppressionHits.map { $0.map { prompts == 0 ? 0 : Double($0) / Double(prompts) } }
        }
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
    public static func run(
        relation: TokenizedRelation, statics: RelationScores, model: TransformerWeights, decoder: ModelWeights,
        tokenizer: any Tokenizer, templates: [String] = paperTemplates, batchSize: Int = 256,
        log: (String) -> Void = { _ in }
    ) throws -> RelationResult {
        let forward = ForwardPass(weights: decoder)
        // Each template's run: every head's z at the last position (with
        // context) and value vector at the source (without).
        struct Run {
            let template: String
            let kept: Int
            let targets: [Int]
            let z: [HeadIndex: Matrix]
            let v: [HeadIndex: Matrix]
        }
        var runs: [Run] = []
        for template in templates {
            // One prompt per kept pair; those with the common length and source position.
            let prompts = relation.keptPairs.indices.map { i in
                tokenizer.modelInput(template.replacingOccurrences(of: "<X>", with: relation.keptPairs[i].source))
            }
            var shapes: [[Int]: Int] = [:]
            for (i, ids) in prompts.enumerated() {
                if let p = ids.firstIndex(of: relation.sourceIds[i]) { shapes[[ids.count, p], default: 0] += 1 }
            }
            // The most common (length, source position); ties to the shorter prompt.
            let ordered = shapes.keys.sorted { a, b in
                shapes[a]! != shapes[b]! ? shapes[a]! > shapes[b]! : a.lexicographicallyPrecedes(b)
            }
            guard let common = ordered.first else {
                throw ExperimentError.noPrompt(template: template, relation: relation.relation.name)
            }
            let kept = prompts.indices.filter {
                prompts[$0].count == common[0] && prompts[$0].firstIndex(of: relation.sourceIds[$0]) == common[1]
            }
            let (length, position) = (common[0], common[1])
            let clock = ContinuousClock()
            let started = clock.now
            let (z, v) = try record(
                kept.map { prompts[$0] }, query: length - 1, source: position, forward: forward, batchSize: batchSize)
            log(
                String(
                    format: "  %@, '%@': %d prompts of %d tokens; run %.1f s", relation.relation.name, template,
                    kept.count, length,
                    (clock.now - started).seconds))
            runs.append(
                Run(template: template, kept: kept.count, targets: kept.map { relation.targetIds[$0] }, z: z, v: v))
        }

        // Every template's rows, with and without context, ranked in one pass:
        // the vocabulary's blocks are multiplied once for all of them.
        let clock = ContinuousClock()
        let started = clock.now
        let segments = runs.flatMap { run in [(run.z, run.targets), (run.v, run.targets)] }
        let counts = try count(model: model, segments: segments, k: relation.k)
        log(
            String(
                format: "  %@: %d templates × 2 contexts ranked in %.1f s", relation.relation.name, runs.count,
                (clock.now - started).seconds))
        let results = runs.enumerated().map { t, run in
            TemplateResult(
                template: run.template, dropped: relation.pairsKept - run.kept, withContext: counts[2 * t],
                withoutContext: counts[2 * t + 1])
        }
        let staticScores = Array(statics.scores.joined())
        let staticSuppression = Array(statics.suppression.joined())
        func correlation(_ values: (TemplateResult) -> [[Double]], _ statics: [Double]) -> Correlation {
            Correlation.pearson(
                Array(repeating: statics, count: results.count).flatMap { $0 },
                results.flatMap { Array(values($0).joined()) })
        }
        return RelationResult(
            name: relation.relation.name, k: relation.k, pairsKept: relation.pairsKept, templates: results,
            withContext: (
                correlation({ $0.withContext.scores }, staticScores),
                correlation({ $0.withContext.suppression }, staticSuppression)
            ),
            withoutContext: (
                correlation({ $0.withoutContext.scores }, staticScores),
                correlation({ $0.withoutContext.suppression }, staticSuppression)
            ))
    }

    /// Every head's `z` at `query` and value vector at `source` (what its `z`
    /// is with its attention there forced onto `source`) for each prompt, all
    /// of one length, `batchSize` prompts per forward pass; rows in the prompts' order.
    static func record(
        _ prompts: [[Int]], query: Int, source: Int, forward: ForwardPass, batchSize: Int
    ) throws -> (z: [HeadIndex: Matrix], v: [HeadIndex: Matrix]) {
        let shape = forward.weights.shape
        var interventions = Interventions()
        for l in 0..<shape.layers {
            for h in 0..<shape.heads {
                interventions.recorded[HeadIndex(layer: l, head: h)] = query
                interventions.recordedValues[HeadIndex(layer: l, head: h)] = source
            }
        }
        var z = [HeadIndex: Matrix]()
        var v = [HeadIndex: Matrix]()
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let output = try forward.run(
                Array(prompts[start..<min(prompts.count, start + batchSize)]), interventions: interventions)
            for (index, m) in output.recorded { z[index] = z[index].map { append($0, m) } ?? m }
            for (index, m) in output.recordedValues { v[index] = v[index].map { append($0, m) } ?? m }
        }
        return (z, v)
    }

    static func append(_ a: Matrix, _ b: Matrix) -> Matrix {
        Matrix(rows: a.rows + b.rows, cols: a.cols, storage: a.storage + b.storage)
    }

    /// Every head's rows ranked over the vocabulary by the static scores'
    /// engine: each segment (rows per head and their targets) counted on its own.
    static func count(
        model: TransformerWeights, segments: [(rows: [HeadIndex: Matrix], targets: [Int])], k: Int
    ) throws -> [Counts] {
        let shape = model.shape
        let empty = [[Int]](repeating: [Int](repeating: 0, count: shape.heads), count: shape.layers)
        var hits = [[[Int]]](repeating: empty, count: segments.count)
        var suppression = hits
        let targets = segments.flatMap(\.targets)
        let segmentOfRow = segments.enumerated().flatMap { s, segment in
            [Int](repeating: s, count: segment.targets.count)
        }
        let filled = segments.filter { !$0.targets.isEmpty }
        if !targets.isEmpty {
            try RelationScorer.rank(
                model: model, targets: targets, k: k,
                values: { layer in
                    (0..<shape.heads).map { head in
                        let index = HeadIndex(layer: layer, head: head)
                        let parts = filled.map { $0.rows[index]! }
                        return Matrix(rows: targets.count, cols: parts[0].cols, storage: parts.flatMap(\.storage))
                    }
                },
                record: { layer, head, row, hit, suppressionHit in
                    if hit { hits[segmentOfRow[row]][layer][head] += 1 }
                    if suppressionHit { suppression[segmentOfRow[row]][layer][head] += 1 }
                })
        }
        return segments.indices.map {
            Counts(hits: hits[$0], suppressionHits: suppression[$0], prompts: segments[$0].targets.count)
        }
    }
}

public enum ExperimentError: Error, CustomStringConvertible, Equatable {
    case noPrompt(template: String, relation: String)
    case badTemplate(file: String, problem: String)

    public var description: String {
        switch self {
        case .noPrompt(let template, let relation):
            return "template '\(Excerpt.short(template))': no prompt of \(relation) holds its source as one token"
        case .badTemplate(let file, let problem): return "\(file): \(problem)"
        }
    }
}
