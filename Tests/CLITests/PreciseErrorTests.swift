import Foundation
import HeadMapsTestSupport
import XCTest

/// Errors that say what is wrong and where, in the tool's words: never an
/// error domain and code, never a suggestion of the very id that was typed.
final class PreciseErrorTests: XCTestCase {
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try HeadMapsExecutable.run(arguments + ["--quiet"], environment: environment)
    }

    func testEachVagueErrorNowSaysWhatAndWhere() throws {
        let dir = TestSupport.temporaryDirectory("precise")
        let twice = try run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--relation", "name_copying",
                             "--out", dir + "/s.json"])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("relation 'name_copying' is listed twice; name it once"), twice.stderr)

        let deep = dir + "/deep"
        try FileManager.default.copyItem(atPath: TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2", toPath: deep)
        try ("{\"model\": " + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}")
            .write(toFile: deep + "/tokenizer.json", atomically: true, encoding: .utf8)
        let nested = try run(["scores", "--model", deep, "--relation", "name_copying", "--out", dir + "/s.json"])
        XCTAssertEqual(nested.status, 2)
        XCTAssertTrue(nested.stderr.contains("\(deep)/tokenizer.json: is not valid JSON: Too many nested"), nested.stderr)

        let hub = dir + "/hub"
        XCTAssertEqual(try run(["make-fixture", "--revisions", "2", "--out", hub]).status, 0)
        try FileManager.default.removeItem(atPath: hub + "/models--headmaps--planted-tiny/refs/main")
        let two = try run(["scores", "--model", "headmaps/planted-tiny", "--relation", "name_copying", "--out", dir + "/s.json"],
                          environment: ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"])
        XCTAssertEqual(two.status, 2)
        XCTAssertTrue(two.stderr.contains("holds 2 snapshots") && two.stderr.contains("name one as id@revision"), two.stderr)
        XCTAssertFalse(two.stderr.contains("Did you mean"), two.stderr)

        let big = dir + "/big"
        try FileManager.default.copyItem(atPath: TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2", toPath: big)
        var tokenizer = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: big + "/tokenizer.json"))) as! [String: Any]
        tokenizer["added_tokens"] = [["id": 7000, "content": "<big>", "special": true, "lstrip": false, "rstrip": false,
                                      "single_word": false, "normalized": false]]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: URL(fileURLWithPath: big + "/tokenizer.json"))
        let row = try run(["forward", "--model", big, "--prompt", "a <big>"])
        XCTAssertEqual(row.status, 2)
        XCTAssertTrue(row.stderr.contains("\(big): the prompt's token 3, id 7000 ('<big>'), has no row in the model's embedding (6000 rows)"),
                      row.stderr)

        let system = try run(["make-fixture", "--out", "/proc/headmaps-fixture"])
        XCTAssertEqual(system.status, 2)
        XCTAssertEqual(system.stderr, "error: /proc/headmaps-fixture: No such file or directory\n")
    }
}
