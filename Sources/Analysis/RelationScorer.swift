import Checkpoint
import Core
import Dispatch
import Foundation
import LinearAlgebra

/// Scores every head of a model for a set of relations, the method's way.
///
/// All relations' pairs are stacked into one batch, so each head costs one
/// `x·W_V` and one pass over the vocabulary, whatever the number of relations.
/// Work is split over threads that each make one-thread BLAS calls, so the
/// result does not depend on the thread count.
public struct RelationScorer {
    public let model: TransformerWeights
    public var blockSize = ScoringSettings.vocabularyBlock
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var sourceRule = SourceRule.mlp0

    public init(model: TransformerWeights) { self.model = model }

    public func score(
        _ relations: [TokenizedRelation],
        progress: ((_ layersDone: Int, _ layers: Int) -> Void)? = nil
    ) throws -> ([RelationScores], ScoringStatistics) {
        let shape = model.shape
        var stats = ScoringStatistics()
        let scored = relations.indices.filter { !relations[$0].skipped }
        var sources: [Int] = []
        var targets: [Int] = []
        var ks: [Int] = []
        var owner: [Int] = []
        for r in scored {
            let rel = relations[r]
            for (s, t) in zip(rel.sourceIds, rel.targetIds) {
                guard s < shape.vocab, t < shape.vocab else {
                    throw AnalysisError.tokenOutsideVocabulary(
                        relation: rel.relation.name, id: max(s, t), vocab: shape.vocab)
                }
                sources.append(s)
                targets.append(t)
                ks.append(rel.k)
                owner.append(r)
            }
        }
        // An explicit start-up step (`BLAS.useSingleThread()`), not a side effect
        // here: a library must not change a process-wide setting behind its caller.
        guard BLAS.threadCount == 1 else { throw AnalysisError.blasNotSingleThreaded(threads: BLAS.threadCount) }
        for rel in relations where !rel.skipped && rel.k >= shape.vocab {
            throw AnalysisError.kNotBelowVocabulary(relation: rel.relation.name, k: rel.k, vocab: shape.vocab)
        }
        var hits = relations.map { _ in [[Int]](repeating: [Int](repeating: 0, count: shape.heads), count: shape.layers)
        }
        var suppressionHits = hits

        if !sources.isEmpty {
            let clock = ContinuousClock()
            let representations = try SourceRepresentations(model: model, tokens: sources, rule: sourceRule)
            let start = clock.now
            stats.rowsPerHead = sources.count
            let sourceNorms = [false, true].map { mlp in
                (mlp ? representations.afterFirstMLP : representations.embedding)?.view {
                    LogitBound.largestRowNorm($0)
                } ?? 0
            }
            let rule = sourceRule
            let bound = model.unembedding.withMatrix { LogitBound(unembedding: $0) }
            try RelationScorer.rankLayers(
                model: model, blockSize: blockSize, threads: threads, targets: targets, k: ks,
                largestUnembeddingNorm: bound.largestUnembeddingRow, statistics: &stats,
                progress: progress,
                rows: { layer, heads, ranking, pending in
                    for (h, head) in heads.enumerated() {
                        try bound.check(
                            head: head, sourceNorm: sourceNorms[rule.readsMLP(layer: layer) ? 1 : 0], layer: layer,
                            index: h)
                    }
                    return ranking.rank(
                        heads: heads, sources: representations.forLayer(layer), targets: targets, k: ks, layer: layer,
                        pending: pending)
                },
                record: { layer, head, i, relationHit, suppressionHit in
                    if relationHit { hits[owner[i]][layer][head] += 1 }
                    if suppressionHit { suppressionHits[owner[i]][layer][head] += 1 }
                })
            // Mapped F32 tensors are read in place during scoring: a file that
            // shrank meanwhile left zeros there, and these scores must not be kept.
            try model.checkUnchanged()
            stats.scoringSeconds = (clock.now - start).seconds
        }

        let results = relations.enumerated().map { r, rel in
            RelationScores(
                name: rel.relation.name, title: rel.relation.title, k: rel.k, kRule: rel.kRule,
                sourceRule: sourceRule.rawValue,
                pairsTotal: rel.pairsTotal, pairsKept: rel.pairsKept, skipReason: rel.skipReason,
                hits: rel.skipped ? [] : hits[r], suppressionHits: rel.skipped ? [] : suppressionHits[r])
        }
        return (results, stats)
    }

    /// Every layer's heads ranked over the vocabulary, layer by layer, with
    /// the rows left undecided finished together at the end: the engine of
    /// the static scores and of the dynamic ones. `rows` ranks one layer's
    /// heads (its rows computed from shared sources, or given per head);
    /// `record` receives every (layer, head, row) outcome exactly once.
    /// `largestUnembeddingNorm`: `max_t ‖W_U[:, t]‖` where the caller has it (the scores' overflow
    /// bound), else computed here.
    static func rankLayers(
        model: TransformerWeights, blockSize: Int, threads: Int, targets: [Int], k: [Int],
        largestUnembeddingNorm: Double? = nil,
        statistics stats: inout ScoringStatistics, progress: ((Int, Int) -> Void)?,
        rows: (_ layer: Int, _ heads: [HeadOV], _ ranking: LayerRanking, _ pending: PendingRows) throws ->
            LayerRanking.Outcome,
        record: (_ layer: Int, _ head: Int, _ row: Int, _ relationHit: Bool, _ suppressionHit: Bool) -> Void
    ) throws {
        let shape = model.shape
        let blocks = VocabularyBlocks(vocabularySize: shape.vocab, blockSize: blockSize)
        stats.blockCount = blocks.blocks.count
        stats.decidedAfterBlocks = [Int](repeating: 0, count: blocks.blocks.count)
        let pending = PendingRows(width: shape.dModel)
        var localStats = stats
        func note(_ until: Int?) {
            if let b = until { localStats.decidedAfterBlocks[b - 1] += 1 } else { localStats.undecided += 1 }
        }
        try model.unembedding.withMatrix { unembedding in
            let ranking = LayerRanking(
                unembedding: unembedding, blocks: blocks, workers: max(1, threads),
                largestUnembeddingNorm: largestUnembeddingNorm ?? LogitBound.largestRowNorm(unembedding))
            for layer in 0..<shape.layers {
                let heads = try model.heads(ofLayer: layer)
                let outcome = try rows(layer, heads, ranking, pending)
                for (h, head) in outcome.heads.enumerated() {
                    if head.dense { localStats.denseHeads.append(HeadIndex(layer: layer, head: h)) }
                    for i in head.relationHit.indices where !head.deferred[i] {
                        record(layer, h, i, head.relationHit[i], head.suppressionHit[i])
                        note(head.blocksUntilDecided[i])
                    }
                }
                localStats.flops += outcome.flops
                localStats.denseSeconds += outcome.denseSeconds
                localStats.headCount += heads.count
                progress?(layer + 1, shape.layers)
            }
            let meter = LayerRanking.Meter()
            pending.finish(ranking, meter: meter)
            for (r, o) in pending.owners.enumerated() {
                record(o.layer, o.head, o.row, pending.relationHit(r), pending.suppressionHit(r))
                note(pending.until[r])
            }
            localStats.flops += meter.flops
            localStats.denseSeconds += meter.seconds
        }
        stats = localStats
    }

    /// Rows given per head (`values(layer)`: each head's `[rows, d_head]`,
    /// the rows a head's `W_O` then carries), ranked by the same engine: the
    /// dynamic scores, whose rows are a head's own `z`.
    public static func rank(
        model: TransformerWeights, targets: [Int], k: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        values: (Int) throws -> [Matrix],
        record: (_ layer: Int, _ head: Int, _ row: Int, _ hit: Bool, _ suppressionHit: Bool) -> Void
    ) throws {
        guard BLAS.threadCount == 1 else { throw AnalysisError.blasNotSingleThreaded(threads: BLAS.threadCount) }
        guard k < model.shape.vocab else {
            throw AnalysisError.kNotBelowVocabulary(relation: "dynamic", k: k, vocab: model.shape.vocab)
        }
        var stats = ScoringStatistics()
        let ks = [Int](repeating: k, count: targets.count)
        try rankLayers(
            model: model, blockSize: ScoringSettings.vocabularyBlock, threads: threads, targets: targets, k: ks,
            statistics: &stats,
            progress: nil,
            rows: { layer, heads, ranking, pending in
                ranking.rank(
                    heads: heads, values: try values(layer), targets: targets, k: ks, layer: layer, pending: pending)
            }, record: record)
        try model.checkUnchanged()
    }
}
