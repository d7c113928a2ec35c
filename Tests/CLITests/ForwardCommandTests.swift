import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

final class ForwardCommandTests: XCTestCase {
    func testForwardPrintsTheNextTokensAndWritesTheirJSON() throws {
        let model = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"
        let json = TestSupport.temporaryDirectory("forward") + "/next.json"
        let result = try HeadMapsExecutable.run(["forward", "--model", model, "--prompt", " Paris is the capital of France", "--top", "3", "--json", json])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("prompt: 10 tokens [704, 2104, 334, 69, 2191, 304, 276, 221, 382, 705]"), result.stdout)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        XCTAssertEqual(object["schema"] as? String, "headmaps.forward.v1")
        XCTAssertEqual(object["token_ids"] as? [Int], [704, 2104, 334, 69, 2191, 304, 276, 221, 382, 705], "the ids Hugging Face tokenizers gives")
        let top = object["top"] as! [[String: Any]]
        XCTAssertEqual(top.count, 3)
        let logits = top.map { $0["logit"] as! Double }
        XCTAssertEqual(logits, logits.sorted(by: >))
    }

    func testForwardOnAFamilyWithoutAForwardPassSaysSo() throws {
        let result = try HeadMapsExecutable.run(["forward", "--model", TestSupport.familyModel(.qwen2), "--prompt", "hi"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("running the model is not supported for Qwen2 yet (supported: GPT-2); the static maps are"), result.stderr)
    }
}
