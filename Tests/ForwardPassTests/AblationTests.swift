import Analysis
import Checkpoint
import Core
import Experiments
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import XCTest

/// The paper's second experiment: the last-position pass it runs on, and its curves.
final class AblationTests: XCTestCase {
    let model = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"

    /// The prefix cache and the last position alone give the full pass's
    /// logits, with and without heads zeroed at the last position.
    func testTheLastPositionFromACacheEqualsTheFullPass() throws {
        _ = TestSupport.singleThreadedBLAS
        let forward = ForwardPass(weights: try Architectures.openDecoder(modelDirectory: model).0)
        let prompts = [[5, 17, 300, 42, 7], [1, 2, 3, 4, 5]]
        let tolerance = try forward.weights.float32Tolerance(positions: 5)
        let cache = try forward.prefix(prompts)
        let zeroed: Set<HeadIndex> = [HeadIndex(layer: 0, head: 1), HeadIndex(layer: 1, head: 3)]
        var atLast = Interventions()
        for head in zeroed { atLast.zeroedAt[head] = 4 }
        for (fast, full) in [(try forward.lastLogits(cache), try forward.run(prompts).logits),
                             (try forward.lastLogits(cache, zeroed: zeroed), try forward.run(prompts, interventions: atLast).logits)] {
            TestSupport.assertRowsAgree(fast, full, tolerance: tolerance)
        }
        XCTAssertNotEqual(try forward.lastLogits(cache, zeroed: zeroed), try forward.lastLogits(cache))

        // Several ablation steps in one pass: each set's rows equal its own pass.
        let sets: [Set<HeadIndex>] = [[], zeroed, [HeadIndex(layer: 1, head: 0)]]
        let together = try forward.lastLogits(cache, zeroedSets: sets)
        XCTAssertEqual(together.rows, sets.count * prompts.count)
        for (s, set) in sets.enumerated() {
            let alone = try forward.lastLogits(cache, zeroed: set)
            let rows = (0..<prompts.count).map { s * prompts.count + $0 }
            TestSupport.assertRowsAgree(together.gatherRows(rows), alone, tolerance: tolerance, "set \(s)")
        }
    }

    /// A sweep's steps, each one head more than the last, computed from the
    /// layer of the head each adds (below it, the step before's residual):
    /// every step's rows equal its own pass, and the argmax is the logits'.
    func testStepsThatShareLayersBelowTheirNewHeadEqualTheirOwnPasses() throws {
        _ = TestSupport.singleThreadedBLAS
        let forward = ForwardPass(weights: try Architectures.openDecoder(modelDirectory: model).0)
        let prompts = [[5, 17, 300, 42, 7], [1, 2, 3, 4, 5], [9, 8, 7, 6, 5]]
        let tolerance = try forward.weights.float32Tolerance(positions: 5)
        let cache = try forward.prefix(prompts)
        let order = [HeadIndex(layer: 1, head: 2), HeadIndex(layer: 0, head: 1), HeadIndex(layer: 1, head: 0),
                     HeadIndex(layer: 0, head: 3)]
        let sets = (0...order.count).map { Set(order.prefix($0)) } + [[HeadIndex(layer: 1, head: 1)]]
        let together = try forward.lastLogits(cache, zeroedSets: sets)
        for (s, set) in sets.enumerated() {
            let alone = try forward.lastLogits(cache, zeroed: set)
            let rows = (0..<prompts.count).map { s * prompts.count + $0 }
            TestSupport.assertRowsAgree(together.gatherRows(rows), alone, tolerance: tolerance, "step \(s)")
        }
        let best = try forward.lastArgmax(cache, zeroedSets: sets, rowsPerChunk: 4)
        let expected = (0..<together.rows).map { r in (0..<together.cols).max { together[r, $0] < together[r, $1] || (together[r, $0] == together[r, $1] && $0 > $1) }! }
        XCTAssertEqual(best, expected)
        // The logits read a block of the vocabulary at a time: blocks of 7 tokens find the same first largest.
        XCTAssertEqual(try forward.lastArgmax(cache, zeroedSets: sets, rowsPerChunk: 4, vocabularyBlock: 7), expected)
    }

    /// A sweep's argmax decided by the bound from its pass's first step
    /// (`ArgmaxScreen`) is the argmax of the whole logits, row by row, on
    /// checkpoints transformers wrote; where the logits have an `lm_head`
    /// bias (Phi) or a final soft cap (Gemma 2) every row's logits are made whole.
    func testTheScreenedArgmaxOfASweepIsTheLogitsArgmax() throws {
        _ = TestSupport.singleThreadedBLAS
        for family in ["gpt2", "llama", "qwen2", "phi", "gemma2"] {
            let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/" + family
            let forward = ForwardPass(weights: try Architectures.openDecoder(modelDirectory: dir).0)
            let shape = forward.weights.shape
            let prompts = (0..<12).map { p in (0..<6).map { (p * 131 + $0 * 37 + 11) % 300 } }
            let cache = try forward.prefix(prompts)
            var rng = SplitMix64(seed: 3)
            let heads = (0..<shape.layers).flatMap { l in (0..<shape.heads).map { HeadIndex(layer: l, head: $0) } }
                .map { ($0, rng.next()) }.sorted { $0.1 < $1.1 }.map(\.0)
            let sets = (0...heads.count).map { Set(heads.prefix($0)) }
            let logits = try forward.lastLogits(cache, zeroedSets: sets)
            let expected = (0..<logits.rows).map { r in
                (0..<logits.cols).max { logits[r, $0] < logits[r, $1] || (logits[r, $0] == logits[r, $1] && $0 > $1) }!
            }
            let (tokens, screened) = try forward.lastArgmaxCountingScreen(cache, zeroedSets: sets)
            XCTAssertEqual(tokens, expected, family)
            if ["phi", "gemma2"].contains(family) {
                XCTAssertEqual(screened, 0, "\(family): logits with a bias or a cap are made whole")
            } else {
                XCTAssertGreaterThan(screened, 0, "\(family): the bound decides rows")
            }
        }
    }

    func testCurvesStartAtTheModelsAccuracyAndAblateInScoreOrder() throws {
        _ = TestSupport.singleThreadedBLAS
        let loaded = try Architectures.open(modelDirectory: model)
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: model)
        // k = 300 gives many heads a positive score on this small random model.
        let relation = TokenizedRelation(try BuiltinRelations.load("name_copying"), tokenizer: loaded.tokenizer, k: 300, minimumPairs: 1)
        let statics = try RelationScorer(model: loaded.weights).score([relation]).0[0]
        let run = { try Ablation.run(relation: relation, statics: statics, decoder: decoder, tokenizer: loaded.tokenizer,
                                     template: " John-> John; Donna-> Donna; <X>->", maximumHeads: 3, randomDraws: 2, seed: 9) }
        let a = try run()
        XCTAssertEqual(a.prompts, relation.pairsKept)
        let scores = a.top.heads.map { statics.scores[$0.layer][$0.head] }
        XCTAssertEqual(scores, scores.sorted(by: >), "best static heads first")
        XCTAssertTrue(scores.allSatisfy { $0 > 0 })
        XCTAssertEqual(a.top.accuracy.count, a.top.heads.count + 1)
        for curve in a.random {
            XCTAssertEqual(curve.heads.count, a.top.heads.count)
            XCTAssertTrue(Set(curve.heads).isDisjoint(with: a.top.heads), "random heads exclude the relation's")
            XCTAssertEqual(curve.accuracy.first, a.top.accuracy.first, "nothing ablated: the same model")
        }
        XCTAssertEqual(try run().random, a.random, "the same seed, the same draws")

        // Accuracy with nothing ablated is the full pass's argmax accuracy.
        let forward = ForwardPass(weights: decoder)
        let task = Ablation.Task(relation: relation, template: a.template, tokenizer: loaded.tokenizer)
        var correct = 0
        for (prompt, target) in zip(relation.keptPairs, relation.targetIds) {
            let ids = loaded.tokenizer.encode(a.template.replacingOccurrences(of: "<X>", with: prompt.source))
            let logits = try forward.run([ids]).logits
            let best = (0..<logits.cols).max { logits[0, $0] < logits[0, $1] }!
            if best == target { correct += 1 }
        }
        XCTAssertEqual(task.prompts, relation.pairsKept)
        XCTAssertEqual(a.top.accuracy[0], Double(correct) / Double(relation.pairsKept), accuracy: 1e-12)
    }
}
