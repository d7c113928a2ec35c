import Checkpoint
import Foundation
import Tokenizer

/// One analysis of one model: load, tokenize every relation, score every head.
/// The command line and the report both run exactly this.
public struct ModelAnalysis: Sendable {
    public struct Request: Sendable {
        public var modelPath: String
        public var relations: [Relation]
        public var k: Int?
        public var minimumPairs = TokenizedRelation.defaultMinimumPairs
        public var sourceRule = SourceRule.mlp0
        /// Threads the scorer uses (default: every processor); a sweep's
        /// workers share the machine, a Slurm task has its `--cpus-per-task`.
        public var threads: Int?

        public init(
            modelPath: String, relations: [Relation], k: Int? = nil,
            minimumPairs: Int = TokenizedRelation.defaultMinimumPairs,
            sourceRule: SourceRule = .mlp0
        ) {
            self.modelPath = modelPath
            self.relations = relations
            self.k = k
            self.minimumPairs = minimumPairs
            self.sourceRule = sourceRule
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
        let kv = shape.kvHeads == shape.heads ? "" : " (\(shape.kvHeads) KV heads)"
        log(
            "\(model.architecture): \(shape.layers) layers × \(shape.heads) heads\(kv), d_model \(shape.dModel), "
                + "vocabulary \(shape.vocab)"
        )
        let defaults = model.defaultK
        if let k = request.k {
            log("k = \(k) for every relation (--k)")
        } else {
            log("k = \(defaults.copying) for copying relations, \(defaults.other) otherwise: \(defaults.reason)")
        }
        if request.sourceRule != .mlp0 { log("sources: \(request.sourceRule.summary)") }
        tokenized = request.relations.map {
            TokenizedRelation(
                $0, tokenizer: tokenizer, k: request.k, defaults: defaults, rows: shape.vocab,
                minimumPairs: request.minimumPairs)
        }
        for t in tokenized {
            if let reason = t.skipReason { log("skipping \(t.relation.name): \(reason)") }
        }
        var scorer = RelationScorer(model: model)
        scorer.sourceRule = request.sourceRule
        if let threads = request.threads { scorer.threads = threads }
        let (scores, stats) = try scorer.score(tokenized, progress: progress)
        statistics = stats
        log(
            String(
                format: "scored %d heads × %d pairs in %.2f s", stats.headCount, stats.rowsPerHead, stats.scoringSeconds
            ))
        document = ScoresDocument(source: request.modelPath, shape: shape, relations: scores)
    }
}
