import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

/// Bad input in the other families' layouts: each error names the file,
/// the tensor or key, and what was expected.
final class FamilyErrorTests: XCTestCase {
    func familyCopy(_ architecture: FixtureArchitecture) throws -> String {
        let dir = TestSupport.temporaryDirectory("family-broken") + "/model"
        try FileManager.default.copyItem(atPath: TestSupport.familyModel(architecture), toPath: dir)
        return dir
    }

    func assertScoresFail(_ model: String, _ words: [String], line: UInt = #line) throws {
        let out = TestSupport.temporaryDirectory("never") + "/s.json"
        let result = try HeadMapsExecutable.run(["scores", "--model", model, "--relation", "name_copying", "--out", out, "--quiet"])
        XCTAssertEqual(result.status, 2, "exit code", line: line)
        for word in words { XCTAssertTrue(result.stderr.contains(word), "'\(word)' not in: \(result.stderr)", line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), line: line)
    }

    func editJSON(_ path: String, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    func testQueryHeadsThatAreNotAMultipleOfKVHeads() throws {
        let dir = try familyCopy(.llama)
        try editJSON(dir + "/config.json") { $0["num_key_value_heads"] = 3 }
        try assertScoresFail(dir, ["config.json", "num_attention_heads 4 is not a multiple of num_key_value_heads 3"])
    }

    func testAValueProjectionOfTheWrongWidthNamesItsShard() throws {
        let dir = try familyCopy(.llama)
        try editJSON(dir + "/config.json") { $0["num_key_value_heads"] = 4 }
        try assertScoresFail(dir, ["model-0000", ".safetensors", "tensor 'model.layers.0.self_attn.v_proj.weight' has shape [32, 64], config.json implies [64, 64]"])
    }

    func testAnUntiedConfigWithoutItsOutputEmbedding() throws {
        let dir = try familyCopy(.qwen2)
        try editJSON(dir + "/config.json") { $0["tie_word_embeddings"] = false }
        try assertScoresFail(dir, ["tensor 'lm_head.weight' is missing (expected shape ["])
    }

    func testAMixtureRoutingToMoreExpertsThanItHasNamesTheKey() throws {
        let dir = TestSupport.temporaryDirectory("family-broken") + "/model"
        try FileManager.default.copyItem(atPath: TestSupport.repositoryRoot + "/fixtures/models/hf/olmoe", toPath: dir)
        try editJSON(dir + "/config.json") { $0["num_experts_per_tok"] = 5 }
        try assertScoresFail(dir, ["config.json", "num_experts_per_tok 5 is not between 1 and num_experts (4)"])
        try editJSON(dir + "/config.json") { $0["num_experts_per_tok"] = 2; $0["num_experts"] = 5 }
        try assertScoresFail(dir, ["model.safetensors", "tensor 'model.layers.0.mlp.gate.weight' has shape [4, 16], config.json implies [5, 16]"])
    }

    func testAShardTheIndexNamesButTheFolderLacks() throws {
        let dir = try familyCopy(.llama)
        try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
        try assertScoresFail(dir, ["model.safetensors.index.json", "names shard 'model-00002-of-00002.safetensors', which is not in"])
    }

    func testAnUnsupportedActivationIsNamedWithItsKey() throws {
        let dir = try familyCopy(.gemma2)
        try editJSON(dir + "/config.json") { $0["hidden_activation"] = "squared_relu" }
        try assertScoresFail(dir, ["hidden_activation 'squared_relu' is not supported (known: gelu, gelu_new"])
    }

    func testATokenizerJSONWithABrokenPatternNamesTheFile() throws {
        let dir = try familyCopy(.qwen2)
        try editJSON(dir + "/tokenizer.json") { t in
            t["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "[a-"], "behavior": "Isolated", "invert": false]
        }
        try assertScoresFail(dir, ["tokenizer.json", "pre-tokenizer Split: regular expression at character", "missing ']'"])
    }
}
