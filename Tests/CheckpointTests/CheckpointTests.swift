import Analysis
import Checkpoint
import Foundation
import Tokenizer
import HeadMapsTestSupport
import XCTest

/// Loading: the same planted checkpoint in other dtypes, sharded, or with
/// other tensor names must give the same model and the same scores.
final class CheckpointTests: XCTestCase {
    static let relations = ["name_copying", "country_to_capital", "copying"]
    static let reference: [RelationScores] = try! TestSupport.score(TestSupport.tinyModel, relations: relations)


    func testF16AndBF16CopiesScoreExactlyLikeF32() throws {
        for dtype in [DType.f16, .bf16] {
            let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel, dtype: dtype)
            let info = try SafetensorsFile(path: dir + "/model.safetensors").tensors["wte.weight"]!
            XCTAssertEqual(info.dtype, dtype)
            XCTAssertEqual(try TestSupport.score(dir, relations: Self.relations), Self.reference, dtype.rawValue)
        }
    }

    func testShardedCheckpointScoresLikeSingleFile() throws {
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel, shards: 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/model.safetensors"))
        XCTAssertEqual(try CheckpointDirectory(path: dir).files.count, 3)
        XCTAssertEqual(try TestSupport.score(dir, relations: Self.relations), Self.reference)
    }

    func testPrefixedNamesMaskBuffersAndUntiedHeadLoad() throws {
        let shape = try Architectures.load(modelDirectory: TestSupport.tinyModel).1.shape
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel, prefix: "transformer.", extra: [
            "transformer.h.0.attn.bias": (.f32, [1, 1, 8, 8]),
            "transformer.h.0.attn.masked_bias": (.f32, []),
        ])
        XCTAssertEqual(try TestSupport.score(dir, relations: Self.relations), Self.reference)
        // An lm_head equal to wte (as GPT-2's tied head is) changes nothing.
        let wte = try SafetensorsFile(path: TestSupport.tinyModel + "/model.safetensors")
        let untied = try CheckpointCopies.rewrite(TestSupport.tinyModel, extra: ["lm_head.weight": (.f32, [shape.vocab, shape.dModel])])
        let original = try SafetensorsFile(path: untied + "/model.safetensors")
        XCTAssertNotNil(original.tensors["lm_head.weight"])
        let (_, model) = try Architectures.load(modelDirectory: untied)
        XCTAssertEqual(model.unembedding[0], 0.5, "lm_head.weight is read when present")
        XCTAssertNotEqual(try wte.floats(wte.tensors["wte.weight"]!)[0], 0.5)
    }

    func testAlignedF32IsReadFromTheMappingWithoutCopying() throws {
        let (_, f32) = try Architectures.load(modelDirectory: TestSupport.tinyModel)
        XCTAssertTrue(f32.embedding.isBorrowedFromMapping)
        XCTAssertTrue(f32.embedding === f32.unembedding, "tied: one tensor serves as W_E and W_U")
        let (_, f16) = try Architectures.load(modelDirectory: TestSupport.demoModel)
        XCTAssertFalse(f16.embedding.isBorrowedFromMapping, "F16 is converted")
    }

    func testReadsTheGPT2ConfigIntoTheCanonicalShape() throws {
        let (_, model) = try Architectures.load(modelDirectory: TestSupport.demoModel)
        XCTAssertEqual(model.architecture, "GPT-2")
        let vocabulary = try ByteLevelBPE(directory: TestSupport.demoModel).count
        XCTAssertEqual(model.shape, ModelShape(layers: 24, heads: 16, dModel: 64, vocab: vocabulary))
        XCTAssertEqual(model.shape.dHead, 4)
        let heads = try model.heads(ofLayer: 3)
        XCTAssertEqual(heads.count, 16)
        XCTAssertEqual(heads[0].valueWeights.rows, 64)
        XCTAssertEqual(heads[0].valueWeights.cols, 4)
        XCTAssertEqual(heads[0].outputWeights.rows, 4)
        XCTAssertEqual(heads[0].outputWeights.cols, 64)
        XCTAssertEqual(model.firstMLP.dense?.activation, .geluNew)
        XCTAssertEqual(model.firstMLP.dense?.inWeight.cols, 256)
    }

    func testSlicesValueColumnsAndOutputRowsOfEachHead() throws {
        // W_V[h] is c_attn's columns 2d + h·dh ..< 2d + (h+1)·dh; W_O[h] is c_proj's rows h·dh ..< (h+1)·dh.
        let file = try SafetensorsFile(path: TestSupport.tinyModel + "/model.safetensors")
        let qkv = try file.floats(file.tensors["h.2.attn.c_attn.weight"]!).matrixCopy()
        let proj = try file.floats(file.tensors["h.2.attn.c_proj.weight"]!).matrixCopy()
        let (_, model) = try Architectures.load(modelDirectory: TestSupport.tinyModel)
        let head = try model.heads(ofLayer: 2)[3]
        let d = 64, dh = 16
        XCTAssertEqual(head.valueWeights[5, 7], qkv[5, 2 * d + 3 * dh + 7])
        XCTAssertEqual(head.outputWeights[7, 5], proj[3 * dh + 7, 5])
    }
}
