import Analysis
import Checkpoint
import Core
import Experiments
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import XCTest

/// The paper's first experiment: its hooks, its counts against numpy, its statistics.
final class DynamicScoresTests: XCTestCase {
    /// A head's value vector at the source, recorded in the clean run, is its
    /// `z` with the attention at the last position forced onto the source.
    func testRecordedValuesAreTheForcedPatternsZ() throws {
        _ = TestSupport.singleThreadedBLAS
        // GPT-2, and Llama's grouped-query layout (heads 2 and 3 read KV head 1).
        for (dir, heads) in [(TestSupport.tinyModel, [HeadIndex(layer: 0, head: 1), HeadIndex(layer: 2, head: 3)]),
                             (TestSupport.repositoryRoot + "/fixtures/models/hf/llama", [HeadIndex(layer: 0, head: 1), HeadIndex(layer: 1, head: 3)])] {
            let model = ForwardPass(weights: try Architectures.openDecoder(modelDirectory: dir).0)
            let prompts = [[7, 8, 9, 10, 11], [12, 13, 14, 15, 16]]
            for head in heads {
                var clean = Interventions()
                clean.recordedValues[head] = 1
                var forced = Interventions()
                forced.forcedPatterns[head] = .init(query: 4, key: 1)
                forced.recorded[head] = 4
                let v = try XCTUnwrap(try model.run(prompts, interventions: clean).recordedValues[head])
                let z = try XCTUnwrap(try model.run(prompts, interventions: forced).recorded[head])
                TestSupport.assertRowsAgree(z, v, tolerance: try model.weights.float32Tolerance(positions: 5))
            }
        }
    }

    /// Hit counts with and without context, every head, against numpy on the
    /// checkpoint transformers wrote.
    func testDynamicCountsAgreeWithNumpy() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"
        let loaded = try Architectures.open(modelDirectory: dir)
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: dir)
        let relation = TokenizedRelation(try BuiltinRelations.load("country_to_capital"), tokenizer: loaded.tokenizer, k: 100, minimumPairs: 1)
        let statics = try RelationScorer(model: loaded.weights).score([relation]).0[0]
        let template = "The story of <X> contains"
        let result = try DynamicScores.run(relation: relation, statics: statics, model: loaded.weights, decoder: decoder,
                                           tokenizer: loaded.tokenizer, templates: [template], batchSize: 16)
        let t = result.templates[0]
        XCTAssertEqual(t.dropped, 0)
        XCTAssertEqual(t.withContext.prompts, relation.pairsKept)
        let prompts = relation.keptPairs.map { loaded.tokenizer.encode(template.replacingOccurrences(of: "<X>", with: $0.source)) }
        let position = try XCTUnwrap(prompts[0].firstIndex(of: relation.sourceIds[0]))
        let task: [String: Any] = ["prompts": prompts, "source_position": position, "targets": relation.targetIds]
        let input = String(decoding: try JSONSerialization.data(withJSONObject: task), as: UTF8.self)
        let numpy = try TestSupport.python([TestSupport.repositoryRoot + "/Tests/crosscheck/gpt2_forward_numpy.py", "--dynamic", "100", dir], stdin: input)
        XCTAssertEqual(numpy.status, 0, numpy.stderr)
        let theirs = try JSONSerialization.jsonObject(with: Data(numpy.stdout.utf8)) as! [String: [[Int]]]
        XCTAssertEqual(theirs["with_context"], t.withContext.hits)
        XCTAssertEqual(theirs["without_context"], t.withoutContext.hits)
        XCTAssertGreaterThan(t.withContext.hits.joined().reduce(0, +), 0, "something to agree on")
    }

    /// scipy.stats.pearsonr([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) = (0.8, 0.10408...).
    func testPearsonCorrelationAndItsPValue() {
        let c = Correlation.pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
        XCTAssertEqual(c.r!, 0.8, accuracy: 1e-12)
        XCTAssertEqual(c.p!, 0.10408803866182783, accuracy: 1e-9)
        let strong = Correlation.pearson((0..<50).map(Double.init), (0..<50).map { Double($0) + (Double($0 % 7) - 3) * 0.5 })
        XCTAssertLessThan(strong.p!, 1e-30)
        XCTAssertNil(Correlation.pearson([1, 1, 1], [1, 2, 3]).r, "a constant map has no correlation")
    }
}
