import Checkpoint
import Foundation
import XCTest

final class CommandLineTests: XCTestCase {
    func testScoresCommandWritesTheDocumentedJSON() throws {
        let out = TestSupport.temporaryDirectory("cli") + "/nested/scores.json"
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying",
                                                 "--relation", "country_to_capital", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "headmaps.scores.v1")
        let relations = json["relations"] as! [[String: Any]]
        XCTAssertEqual(relations.map { $0["name"] as! String }, ["name_copying", "country_to_capital"])
        XCTAssertEqual((relations[0]["scores"] as! [[Double]])[0][1], 1.0)
        XCTAssertTrue(result.stderr.contains("scoring"), "progress goes to stderr")
    }

    func testDefaultRunScoresTheCommittedFixture() throws {
        let out = TestSupport.temporaryDirectory("default") + "/scores.json"
        let result = try HeadMapsExecutable.run(["scores", "--relation", "name_copying", "--quiet", "--out", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "--quiet")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        let model = json["model"] as! [String: Any]
        XCTAssertEqual(model["layers"] as? Int, 24)
        XCTAssertEqual(model["heads"] as? Int, 16)
    }

    func testRelationFileIsNamedAfterItsStem() throws {
        let dir = TestSupport.temporaryDirectory("relfile")
        let pairs = (try String(contentsOfFile: TestSupport.repositoryRoot + "/Sources/Analysis/Relations/country_to_capital.json", encoding: .utf8))
        try pairs.write(toFile: dir + "/capitals_again.json", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation-file", dir + "/capitals_again.json", "--out", dir + "/s.json", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir + "/s.json", encoding: .utf8).contains("\"name\": \"capitals_again\""))
    }

    func testUnknownRelationFailsWithTheListOfKnownOnes() throws {
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "nope", "--out", "/tmp/never.json"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("unknown relation 'nope'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("name_copying"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never.json"))
    }

    func testMakeFixtureIsByteIdenticalForTheSameSeed() throws {
        let dir = TestSupport.temporaryDirectory("fixture")
        for name in ["a", "b", "c"] {
            let seed = name == "c" ? "2" : "1"
            let result = try HeadMapsExecutable.run(["make-fixture", "--shape", "tiny", "--seed", seed, "--dtype", "BF16", "--out", "\(dir)/\(name)"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        for file in ["model.safetensors", "vocab.json", "merges.txt", "config.json", "planted.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/a/\(file)"), FileManager.default.contents(atPath: "\(dir)/b/\(file)"), file)
        }
        XCTAssertNotEqual(FileManager.default.contents(atPath: "\(dir)/a/model.safetensors"), FileManager.default.contents(atPath: "\(dir)/c/model.safetensors"))
    }

    /// The committed default fixture is exactly what the generator writes
    /// today: a change to the generator or the datasets must regenerate it.
    func testCommittedDemoFixtureIsWhatTheGeneratorWrites() throws {
        let dir = TestSupport.temporaryDirectory("demo")
        let result = try HeadMapsExecutable.run(["make-fixture", "--shape", "demo", "--dtype", "F16", "--out", dir])
        XCTAssertEqual(result.status, 0, result.stderr)
        for file in ["model.safetensors", "vocab.json", "merges.txt", "config.json", "planted.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/\(file)"), FileManager.default.contents(atPath: "\(TestSupport.demoModel)/\(file)"),
                           "\(file) differs: regenerate with `headmaps make-fixture --shape demo --dtype F16 --out fixtures/models/demo-gpt2-medium-grid`")
        }
    }

    func testHelpDescribesTheCommands() throws {
        let result = try HeadMapsExecutable.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for word in ["scores", "make-fixture", "relations"] { XCTAssertTrue(result.stdout.contains(word), word) }
    }
}
