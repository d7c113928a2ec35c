import Checkpoint
import Foundation
import Tokenizer

/// One analysis of one model: load, tokenize every relation, score every head.
/// The command line and the report both run exactly this.
public struct ModelAnalysis {
    public struct Request {
        public var modelPath: String
        public var relations: [Relation]
        public var k: Int?
        public var minimumPairs = TokenizedRelation.defaultMinimumPairs

        public init(modelPath: String, relations: [Relation], k: Int? = nil, minimumPairs: Int = TokenizedRelation.defaultMinimumPairs) {
            self.modelPath = modelPath
            self.relations = relations
            self.k = k
            self.minimumPairs = minimumPairs
        }
    }

    public let request: Request
    public let loaded: LoadedModel
    public var checkpoint: CheckpointDirectory { loaded.checkpoint }
    public var model: TransformerWeights { loaded.weights }
    public let tokenized: [TokenizedRelation]
    public let document: ScoresDocument
    public let statistics: ScoringStatistics
    public let loadSeconds: Double

    /// - Parameters:
    ///   - log: one line per step, for a person watching.
    ///   - progress: layers scored so far, of all layers.
    public init(_ request: Request, log: (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil) throws {
        self.request = request
        let clock = ContinuousClock()
        let start = clock.now
        log("loading \(request.modelPath)")
        loaded = try Architectures.open(modelDirectory: request.modelPath)
        let (model, tokenizer) = (loaded.weights, loaded.tokenizer)
        let shape = model.shape
        loadSeconds = (clock.now - start).seconds
        log("\(model.architecture): \(shape.layers) layers × \(shape.heads) heads, d_model \(shape.dModel), vocabulary \(shape.vocab)")
        tokenized = request.relations.map {
            TokenizedRelation($0, tokenizer: tokenizer, k: request.k, minimumPairs: request.minimumPairs)
        }
        for t in tokenized {
            if let reason = t.skipReason { log("skipping \(t.relation.name): \(reason)") }
        }
        let (scores, stats) = try RelationScorer(model: model).score(tokenized, progress: progress)
        statistics = stats
        log(String(format: "scored %d heads × %d pairs in %.2f s", stats.headCount, stats.rowsPerHead, stats.scoringSeconds))
        document = ScoresDocument(source: request.modelPath, shape: shape, relations: scores)
    }
}
