import Analysis
import Checkpoint
import Core
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import PlantedModels
import Tokenizer
import XCTest

/// What lets an 8-billion-parameter checkpoint be scored on a 24 GB machine,
/// and the fixtures the benchmark measures it on, checked at small sizes.
final class LargeShapeTests: XCTestCase {
    /// An untied BF16 input embedding is converted only where the scores read
    /// it: the rows of the relations' sources, never the whole matrix.
    func testAnUntiedBF16EmbeddingIsConvertedOnlyWhereItIsRead() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.familyModel(.llama)
        let loaded = try Architectures.open(modelDirectory: dir)
        let model = loaded.weights
        XCTAssertTrue(model.embedding.isDeferred, "nothing read yet")
        let relation = TokenizedRelation(try BuiltinRelations.load("name_copying"), tokenizer: loaded.tokenizer, defaults: model.defaultK)
        _ = try RelationScorer(model: model).score([relation])
        XCTAssertTrue(model.embedding.isDeferred, "scoring read rows, not the whole embedding")
        XCTAssertFalse(model.unembedding.isDeferred, "W_U is read block by block, converted once")

        // The rows read equal the whole tensor converted at once.
        let file = loaded.checkpoint.files.first { $0.tensors["model.embed_tokens.weight"] != nil }!
        let whole = try file.floats(file.tensors["model.embed_tokens.weight"]!).matrixCopy()
        let rows = [0, 7, model.shape.vocab - 1, 7]
        XCTAssertEqual(model.embeddingRows(rows), whole.gatherRows(rows))
        XCTAssertEqual(model.embedding.matrixCopy(), whole, "converted whole when asked for")
        XCTAssertFalse(model.embedding.isDeferred)
    }

    /// `--shape` with Llama-3.1-8B's proportions (four query heads per KV
    /// head, an MLP 3.5 × d_model wide), at a size a test can write: the
    /// config says so and the planted heads still score as planted.
    func testAFixtureWithLlamaProportionsScoresAsPlanted() throws {
        let shape = PlantedCheckpoint.Shape(name: "llama-proportions", layers: 4, heads: 8, dModel: 128, vocabSize: nil, positions: 32,
                                            mlpWidth: 448, kvHeads: 2)
        let dir = TestSupport.temporaryDirectory("llama-proportions")
        let planted = try FamilyFixture(PlantedCheckpoint(shape: shape, seed: 3), architecture: .llama).write(to: dir)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as! [String: Any]
        XCTAssertEqual(config["num_key_value_heads"] as? Int, 2)
        XCTAssertEqual(config["intermediate_size"] as? Int, 448)
        let model = try Architectures.load(modelDirectory: dir).1
        XCTAssertEqual(model.shape.kvHeads, 2)
        XCTAssertEqual(try model.heads(ofLayer: 1).map(\.valueGroup), [0, 0, 0, 0, 1, 1, 1, 1])
        let scores = try TestSupport.score(dir, relations: ["name_copying", "country_to_capital"])
        for head in planted {
            let relation = try XCTUnwrap(scores.first { $0.name == head.relation })
            XCTAssertEqual(relation.scores[head.layer][head.head], head.expectedScore, "\(head.role) at \(head.layer).\(head.head)")
        }
        // The same shape in GPT-2's layout says its MLP width as n_inner.
        let gpt2 = TestSupport.temporaryDirectory("llama-proportions-gpt2")
        let gpt2Planted = try PlantedCheckpoint(shape: shape, seed: 3).write(to: gpt2)
        let gpt2Config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gpt2 + "/config.json"))) as! [String: Any]
        XCTAssertEqual(gpt2Config["n_inner"] as? Int, 448)
        let gpt2Scores = try TestSupport.score(gpt2, relations: ["name_copying", "country_to_capital"])
        for head in gpt2Planted {
            XCTAssertEqual(try XCTUnwrap(gpt2Scores.first { $0.name == head.relation }).scores[head.layer][head.head], head.expectedScore)
        }

        let preset = try XCTUnwrap(PlantedCheckpoint.Shape.preset("llama-3.1-8b"))
        XCTAssertEqual([preset.layers, preset.heads, preset.kvHeads, preset.dModel, preset.dMLP, preset.vocabSize], [32, 32, 8, 4096, 14_336, 128_256])
    }

    /// The benchmark's hard case: a fifth of the heads planted, each ranking
    /// its targets first, so each needs the whole vocabulary. Those heads take
    /// the dense route (their own `W_O · W_U` past the first block), score
    /// exactly as planted, and agree with the naive computation.
    func testDenselyPlantedHeadsTakeTheDenseRouteAndScoreAsPlanted() throws {
        _ = TestSupport.singleThreadedBLAS
        let shape = PlantedCheckpoint.Shape(name: "dense-test", layers: 6, heads: 8, dModel: 64, vocabSize: 8192, positions: 32, dense: true)
        let dir = TestSupport.temporaryDirectory("dense-fixture")
        let planted = try PlantedCheckpoint(shape: shape, seed: 5).write(to: dir)
        XCTAssertGreaterThanOrEqual(planted.count, shape.layers * shape.heads / 5)
        let (model, tokenizer) = try TestSupport.loadModel(dir)
        let relations = try ["name_copying", "country_to_capital"].map { TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer) }
        let (scores, stats) = try RelationScorer(model: model).score(relations)
        let dense = Set(stats.denseHeads)
        for head in planted where head.role == .copying || head.role == .capital {
            XCTAssertTrue(dense.contains(HeadIndex(layer: head.layer, head: head.head)), "\(head.role) at \(head.layer).\(head.head)")
        }
        for head in planted {
            let relation = try XCTUnwrap(scores.first { $0.name == head.relation })
            XCTAssertEqual(relation.scores[head.layer][head.head], head.expectedScore, "\(head.role) at \(head.layer).\(head.head)")
        }
        XCTAssertEqual(try ReferenceScorer(model: model).score(relations), scores)
    }
}
