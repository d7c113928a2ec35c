import Foundation
import HeadMapsTestSupport
import XCTest

/// Every command's single-file outputs follow `report`'s rule: an output
/// never replaces what the command reads or another of its outputs, a device
/// or pipe is written through, a replaced file keeps its permissions; and the
/// folders `report --check`, `make-fixture` and `compare` write into are theirs.
final class SingleFileOutputTests: XCTestCase {
    func headmaps(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(HeadMapsExecutable.path, arguments, directory: directory)
    }

    /// A copy of the tiny model and a scores file from it, in a fresh folder.
    func workspace(_ name: String) throws -> (dir: String, model: String, scores: String) {
        let dir = TestSupport.temporaryDirectory(name)
        try FileManager.default.copyItem(atPath: TestSupport.tinyModel, toPath: dir + "/model")
        let scored = try headmaps(["scores", "--model", dir + "/model", "--relation", "name_copying", "--out", dir + "/s.json", "--quiet"])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        return (dir, dir + "/model", dir + "/s.json")
    }

    func digest(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return out
    }

    func testNoOutputReplacesWhatTheCommandReads() throws {
        let (dir, model, scores) = try workspace("outputs-inputs")
        let modelBefore = try digest(model), scoresBefore = try Data(contentsOf: URL(fileURLWithPath: scores))
        try #"["No <X> means no"]"#.write(toFile: dir + "/templates.json", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["scores", "--model", model, "--relation", "name_copying", "--out", model + "/model.safetensors"], "--out \(model)/model.safetensors is a file of the model"),
            (["head", "0.1", "--model", model, "--json", model + "/config.json"], "--json \(model)/config.json is a file of the model"),
            (["forward", "--model", model, "--prompt", "hi", "--json", model + "/config.json"], "is a file of the model"),
            (["dynamic", "--model", model, "--relation", "name_copying", "--templates", dir + "/templates.json", "--out", dir + "/templates.json"],
             "is the templates file"),
            (["ablate", "--model", model, "--relation", "name_copying", "--out", model + "/vocab.json"], "is a file of the model"),
            (["scores", "--model", model + "/", "--relation", "name_copying", "--out", model + "/./merges.txt"], "is a file of the model"),
            (["render", "--scores", scores, "--relation", "name_copying", "--out", scores], "--out \(scores) is the scores file"),
            (["scores", "--model", model, "--relation-file", dir + "/templates.json", "--out", dir + "/templates.json"], "is a relation file"),
        ]
        for (arguments, message) in cases {
            let result = try headmaps(arguments + ["--quiet"])
            XCTAssertEqual(result.status, 2, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(message) && result.stderr.contains("nothing was written"), result.stderr)
        }
        XCTAssertEqual(try digest(model), modelBefore)
        // A new file beside the model's own is no part of it.
        let beside = try headmaps(["scores", "--model", model, "--relation", "name_copying", "--out", model + "/scores.json", "--quiet"])
        XCTAssertEqual(beside.status, 0, beside.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: scores)), scoresBefore)
        XCTAssertEqual(try String(contentsOfFile: dir + "/templates.json", encoding: .utf8), #"["No <X> means no"]"#)
    }

    func testTwoOutputsOfOneCommandMayNotShareAPath() throws {
        let (dir, model, _) = try workspace("outputs-same")
        let link = dir + "/also.json"
        try "{}".write(toFile: dir + "/out.json", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir + "/out.json")
        for arguments in [
            ["scores", "--model", model, "--relation", "name_copying", "--out", dir + "/out.json", "--csv", dir + "/out.json"],
            ["scores", "--model", model, "--relation", "name_copying", "--out", dir + "/out.json", "--csv", link],
            ["ablate", "--model", model, "--relation", "name_copying", "--out", dir + "/a.png", "--figure", dir + "/a.png"],
        ] {
            let result = try headmaps(arguments + ["--quiet"])
            XCTAssertEqual(result.status, 2, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains("both name"), result.stderr)
        }
        XCTAssertEqual(try String(contentsOfFile: dir + "/out.json", encoding: .utf8), "{}")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.png"))
    }

    func testAPipeIsWrittenThroughAndAReplacedFileKeepsItsPermissions() throws {
        let (dir, model, scores) = try workspace("outputs-stream")
        // The test's stdout is a pipe: /dev/stdout must stay a link, and the JSON arrive on it.
        let result = try headmaps(["forward", "--model", model, "--prompt", "hi", "--json", "/dev/stdout", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"schema\": \"headmaps.forward.v1\""), result.stdout)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: "/dev/stdout")[.type] as? FileAttributeType, .typeSymbolicLink)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: scores)
        let again = try headmaps(["scores", "--model", model, "--relation", "name_copying", "--out", scores, "--quiet"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: scores)[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        _ = dir
    }

    func testCompareWritesBareNamesDiffsBesideThemAndNeverOverAnInput() throws {
        let (dir, _, scores) = try workspace("outputs-compare")
        XCTAssertEqual(try headmaps(["render", "--scores", scores, "--relation", "name_copying", "--out", dir + "/a.png", "--quiet"]).status, 0)
        XCTAssertEqual(try headmaps(["render", "--scores", scores, "--relation", "name_copying", "--out", dir + "/b.png", "--dpi", "100", "--quiet"]).status, 0)
        let compared = try headmaps(["compare", "a.png", "b.png"], in: dir)
        XCTAssertEqual(compared.status, 1, compared.stderr)
        for suffix in ["actual", "expected", "diff", "side-by-side"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/a-\(suffix).png"), suffix)
        }
        // The golden image named like a diff image of the fresh one is not replaced.
        try FileManager.default.copyItem(atPath: dir + "/b.png", toPath: dir + "/c-expected.png")
        try FileManager.default.copyItem(atPath: dir + "/a.png", toPath: dir + "/c.png")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/c-expected.png"))
        let refused = try headmaps(["compare", "c.png", "c-expected.png"], in: dir)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("is the golden image"), refused.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/c-expected.png")), before)
    }

    func testMakeFixtureWritesOnlyIntoANewFolderOrAnEarlierFixture() throws {
        let dir = TestSupport.temporaryDirectory("fixture-out")
        try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: true)
        try "notes".write(toFile: dir + "/mine/notes.txt", atomically: true, encoding: .utf8)
        let refused = try headmaps(["make-fixture", "--out", dir + "/mine"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("is not an earlier fixture"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/mine"), ["notes.txt"])
        XCTAssertEqual(try headmaps(["make-fixture", "--out", dir + "/new", "--quiet"]).status, 0)
        XCTAssertEqual(try headmaps(["make-fixture", "--out", dir + "/new", "--seed", "3", "--quiet"]).status, 0, "an earlier fixture is replaced")
        XCTAssertEqual(try headmaps(["make-fixture", "--revisions", "2", "--out", dir + "/mine"]).status, 2)
    }

    func testACheckKeepsAFolderItDidNotWriteAndItsOutputsAwayFromItsInputs() throws {
        let dir = TestSupport.temporaryDirectory("check-folders")
        let out = dir + "/fresh"
        let golden = TestSupport.repositoryRoot + "/reports/default"
        try FileManager.default.createDirectory(atPath: out + "-check", withIntermediateDirectories: true)
        try "mine".write(toFile: out + "-check/notes.txt", atomically: true, encoding: .utf8)
        let refused = try headmaps(["report", "--check", golden, "--out", out, "--quiet"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("a folder HeadMaps did not write"), refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: out + "-check/notes.txt", encoding: .utf8), "mine")
        let spec = TestSupport.repositoryRoot + "/reports/default.yaml"
        let specBefore = try Data(contentsOf: URL(fileURLWithPath: spec))
        for (option, path) in [("--summary", spec), ("--junit", golden + "/report.md"), ("--summary", dir + "/other-check/s.md")] {
            let result = try headmaps(["report", "--check", golden, "--out", dir + "/other", option, path, "--quiet"])
            XCTAssertEqual(result.status, 2, path)
            XCTAssertTrue(result.stderr.contains("which this command reads") || result.stderr.contains("both name"), result.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: spec)), specBefore)
        XCTAssertTrue(try String(contentsOfFile: golden + "/report.md", encoding: .utf8).hasPrefix("# "))
    }
}
