import Checkpoint
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import XCTest

/// Mixtures of experts (Mixtral, OLMoE, Qwen3-MoE) on the checkpoints
/// transformers wrote: the routing rule, the layout each family's adapter
/// fills, and block 0's mixture as a source in float32 and in double.
final class MixtureOfExpertsTests: XCTestCase {
    static func model(_ family: String) throws -> ModelWeights {
        try Architectures.openDecoder(modelDirectory: TestSupport.repositoryRoot + "/fixtures/models/hf/" + family).0
    }

    func testRoutingTakesTheMostProbableExpertsTiesToTheLowerOne() {
        let logits = [1.0, 3.0, 2.0, 3.0]
        let total = logits.map { exp($0 - 3) }.reduce(0, +)
        let raw = ExpertRouting.route(logits: logits, topK: 2, normalizes: false)
        XCTAssertEqual(raw.map(\.expert), [1, 3])
        XCTAssertEqual(raw[0].weight, 1 / total, accuracy: 1e-15)
        XCTAssertEqual(raw[1].weight, 1 / total, accuracy: 1e-15)
        let normalised = ExpertRouting.route(logits: logits, topK: 3, normalizes: true)
        XCTAssertEqual(normalised.map(\.expert), [1, 3, 2])
        XCTAssertEqual(normalised.map(\.weight).reduce(0, +), 1, accuracy: 1e-15)
        XCTAssertEqual(normalised[2].weight, exp(-1) / (2 + exp(-1)), accuracy: 1e-15)
        let routes = [raw, normalised, ExpertRouting.route(logits: [0, 0, 0, 9], topK: 1, normalizes: true)]
        XCTAssertEqual(ExpertRouting.rows(routedTo: 3, routes).map(\.row), [0, 1, 2])
        XCTAssertEqual(ExpertRouting.rows(routedTo: 2, routes).map(\.row), [1])
        XCTAssertEqual(ExpertRouting.rows(routedTo: 3, routes)[2].weight, 1)
    }

    func testEachFamilysMixtureIsReadFromItsOwnNames() throws {
        for (family, normalizes, denseLayers) in [("mixtral", true, [Int]()), ("olmoe", false, []), ("qwen3_moe", true, [1])] {
            let model = try Self.model(family)
            for layer in 0..<model.shape.layers {
                switch try model.feedForward(layer).mlp {
                case .mixture(let m):
                    XCTAssertFalse(denseLayers.contains(layer), "\(family) layer \(layer)")
                    XCTAssertEqual(m.experts.count, 4, family)
                    XCTAssertEqual(m.topK, 2, family)
                    XCTAssertEqual(m.normalizesTopK, normalizes, family)
                    XCTAssertEqual(m.router.outputs, 4, family)
                    guard case .gated(let gate, _, let down, .silu) = m.experts[3] else {
                        return XCTFail("\(family): an expert is a gated SiLU MLP")
                    }
                    XCTAssertEqual(gate.outputs, family == "qwen3_moe" ? 24 : 32, family)
                    XCTAssertEqual(down.outputs, 16, family)
                case .gated(let gate, _, _, _):
                    XCTAssertTrue(denseLayers.contains(layer), "\(family) layer \(layer)")
                    XCTAssertEqual(gate.outputs, 32, "Qwen3-MoE's dense layer has intermediate_size")
                case .plain:
                    XCTFail("\(family): no plain MLP")
                }
            }
        }
    }

    /// Every token's block-0 source through the mixture, float32 against
    /// double: the same experts, and values within float32's rounding.
    func testTheFirstMixtureAsASourceAgreesInFloatAndDouble() throws {
        for family in ["mixtral", "olmoe", "qwen3_moe"] {
            let weights = try TransformerWeights(try Self.model(family))
            guard case .mixture = weights.firstMLP.network else { return XCTFail("\(family): block 0 is a mixture") }
            let tokens = Array(0..<weights.shape.vocab)
            let x = weights.embeddingRows(tokens)
            let float = weights.firstMLP.apply(to: x)
            let double = weights.firstMLP.applyInDouble(to: x.storage.map(Double.init), rows: x.rows)
            var worst = 0.0
            var scale = 0.0
            for i in double.indices {
                worst = max(worst, abs(Double(float.storage[i]) - double[i]))
                scale = max(scale, abs(double[i]))
            }
            XCTAssertGreaterThan(scale, 0.1, family)
            XCTAssertLessThan(worst / scale, 1e-4, family)
        }
    }
}
