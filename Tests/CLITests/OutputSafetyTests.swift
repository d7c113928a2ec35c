import Foundation
import HeadMapsTestSupport
import XCTest

/// A report replaces only what HeadMaps wrote; `--out` never renames away a
/// model, a file, the current directory or the goldens it is checked against.
final class OutputSafetyTests: XCTestCase {
    func report(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(HeadMapsExecutable.path, ["report", "--quiet"] + arguments, directory: directory)
    }

    func testReportRefusesToReplaceARegularFile() throws {
        let dir = TestSupport.temporaryDirectory("out-file")
        try "keep me".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        let result = try report(["--out", dir + "/notes.txt"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("notes.txt: is a regular file") && result.stderr.contains("replaces only a folder that HeadMaps wrote"), result.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/notes.txt", encoding: .utf8), "keep me")
    }

    func testReportRefusesAFolderItDidNotWrite() throws {
        // A sibling folder holding the spec's own marker files, say.
        let dir = TestSupport.temporaryDirectory("out-foreign") + "/markers"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "classes: []".write(toFile: dir + "/heads.yaml", atomically: true, encoding: .utf8)
        let result = try report(["--out", dir])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("a folder that HeadMaps did not write"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["heads.yaml"])
    }

    func testReportRefusesTheModelFolderAndWhatContainsIt() throws {
        let model = TestSupport.temporaryDirectory("out-model") + "/model"
        try FileManager.default.copyItem(atPath: TestSupport.demoModel, toPath: model)
        let before = try FileManager.default.contentsOfDirectory(atPath: model).sorted()
        for out in [model, (model as NSString).deletingLastPathComponent] {
            let result = try report(["--model", model, "--out", out])
            XCTAssertEqual(result.status, 2, out)
            XCTAssertTrue(result.stderr.contains("would replace the model folder"), result.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: model).sorted(), before)
    }

    func testReportRefusesTheCurrentDirectoryInEverySpelling() throws {
        let dir = TestSupport.temporaryDirectory("out-cwd")
        try "mine".write(toFile: dir + "/file.txt", atomically: true, encoding: .utf8)
        for out in [".", "./", dir, dir + "/"] {
            let result = try report(["--out", out], in: dir)
            XCTAssertEqual(result.status, 2, "--out \(out): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("would replace the current directory"), result.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["file.txt"])
    }

    func testReportRefusesToWriteOverTheGoldenFolderItChecks() throws {
        let golden = TestSupport.repositoryRoot + "/fixtures/golden/default"
        let before = try FileManager.default.subpathsOfDirectory(atPath: golden).sorted()
        for out in [golden, (golden as NSString).deletingLastPathComponent] {
            let result = try report(["--check", golden, "--out", out])
            XCTAssertEqual(result.status, 2, out)
            XCTAssertTrue(result.stderr.contains("would replace the golden folder of --check"), result.stderr)
        }
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: golden).sorted(), before)
    }

    func testReportReplacesItsOwnEarlierReportAndAnEmptyFolder() throws {
        let dir = TestSupport.temporaryDirectory("out-own")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        XCTAssertEqual(try report(["--out", dir + "/empty"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/empty/manifest.json"))
        try "stale".write(toFile: dir + "/empty/report.md", atomically: true, encoding: .utf8)
        let again = try report(["--out", dir + "/empty"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertNotEqual(try String(contentsOfFile: dir + "/empty/report.md", encoding: .utf8), "stale")
    }

    /// `mine.yaml` typed without `./` writes `./mine/`, not `/mine/`.
    func testSpecInTheCurrentDirectoryWritesBesideIt() throws {
        let dir = TestSupport.temporaryDirectory("spec-here")
        try "model: \(TestSupport.demoModel)\nrelations: [name_copying]\n".write(toFile: dir + "/mine.yaml", atomically: true, encoding: .utf8)
        let result = try report(["mine.yaml"], in: dir)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/mine/report.md"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/mine"))
    }

    func testScoresAndRenderRefuseDirectoriesAndWriteThroughDevices() throws {
        let dir = TestSupport.temporaryDirectory("out-kinds")
        let scores = dir + "/s.json"
        XCTAssertEqual(try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", scores, "--quiet"]).status, 0)
        for (out, found) in [(dir, "a directory"), (".", "a folder name")] {
            let s = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", out, "--quiet"])
            XCTAssertEqual(s.status, 2, out)
            XCTAssertTrue(s.stderr.contains(found), s.stderr)
            let r = try HeadMapsExecutable.run(["render", "--scores", scores, "--relation", "name_copying", "--out", out])
            XCTAssertEqual(r.status, 2, out)
        }
        // A device is written through, never renamed over.
        let null = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", "/dev/null", "--quiet"])
        XCTAssertEqual(null.status, 0, null.stderr)
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")
    }

    /// A run killed mid-swap leaves `.NAME.partial-PID` and `.NAME.previous-PID`;
    /// the next run cleans them (also when the PID is alive but not HeadMaps,
    /// as PID 1 is for a container's leftovers seen from the host) and succeeds.
    func testLeftoversOfAKilledRunAreCleanedAndNeverBlockARun() throws {
        let dir = TestSupport.temporaryDirectory("leftovers")
        XCTAssertEqual(try report(["--out", dir + "/r"]).status, 0)
        let manifest = dir + "/r/manifest.json"
        for leftover in [".r.partial-1", ".r.partial-999999", ".r.previous-1", ".r.previous-999998"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(leftover)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: manifest, toPath: "\(dir)/\(leftover)/manifest.json")
        }
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "--out", dir + "/r"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("removed .r.previous-1, left by an interrupted run"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["r"])
    }

    /// Killed while the previous report was being removed: what is left of it
    /// (no manifest any more) is removed by the next run, never put back as a report.
    func testAHalfRemovedPreviousReportIsRemovedNotRestored() throws {
        let dir = TestSupport.temporaryDirectory("half-removed")
        XCTAssertEqual(try report(["--out", dir + "/r"]).status, 0)
        XCTAssertEqual(rename(dir + "/r", dir + "/.r.previous-999996"), 0)
        try FileManager.default.removeItem(atPath: dir + "/.r.previous-999996/manifest.json")
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "--out", dir + "/r"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("removed .r.previous-999996, left by an interrupted run"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["r"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/r/manifest.json"))
    }

    /// Killed between the two renames: the previous report is put back.
    func testAPreviousReportWhoseReplacementNeverArrivedIsRestored() throws {
        let dir = TestSupport.temporaryDirectory("restore")
        XCTAssertEqual(try report(["--out", dir + "/r"]).status, 0)
        XCTAssertEqual(rename(dir + "/r", dir + "/.r.previous-999997"), 0)
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "--out", dir + "/r"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("restored \(dir)/r from .r.previous-999997"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["r"])
    }

    /// A killed `scores` run leaves `.s.json.partial-PID`; the next write removes it.
    func testStaleTemporaryFilesBesideAnOutputAreRemoved() throws {
        let dir = TestSupport.temporaryDirectory("stale-file")
        try "half".write(toFile: dir + "/.s.json.partial-999995", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", dir + "/s.json", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["s.json"])
    }

    /// Run from one clone, the binary of another writes into the clone the
    /// user stands in, not into the checkout it was built in.
    func testTheProjectIsFoundFromTheCurrentDirectoryFirst() throws {
        let clone = TestSupport.temporaryDirectory("clone")
        let root = TestSupport.repositoryRoot
        try "// another clone\n".write(toFile: clone + "/Package.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: clone + "/fixtures", withDestinationPath: root + "/fixtures")
        try FileManager.default.createSymbolicLink(atPath: clone + "/templates", withDestinationPath: root + "/templates")
        try FileManager.default.createDirectory(atPath: clone + "/reports", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/reports/markers", toPath: clone + "/reports/markers")
        try FileManager.default.copyItem(atPath: root + "/reports/default.yaml", toPath: clone + "/reports/default.yaml")
        let before = try FileManager.default.attributesOfItem(atPath: root + "/reports/default/report.md")[.modificationDate] as? Date
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "--quiet"], environment: ["HEADMAPS_HOME": ""], directory: clone)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: clone + "/reports/default/report.md"))
        let after = try FileManager.default.attributesOfItem(atPath: root + "/reports/default/report.md")[.modificationDate] as? Date
        XCTAssertEqual(before, after, "the checkout the binary lives in is untouched")
    }

    /// Run through PATH from a folder outside the project (argv[0] is only
    /// "headmaps"), the project is found beside the binary, and the report's
    /// own Reproduce line, relative to the project, runs there.
    func testTheProjectIsFoundFromTheBinaryRunThroughPATH() throws {
        let bin = TestSupport.temporaryDirectory("path-bin")
        try FileManager.default.createSymbolicLink(atPath: bin + "/headmaps", withDestinationPath: HeadMapsExecutable.path)
        let elsewhere = TestSupport.temporaryDirectory("elsewhere")
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try TestSupport.run(
            "/usr/bin/env", ["headmaps", "report", "reports/default.yaml", "--out", elsewhere + "/r", "--quiet"],
            environment: ["PATH": path], unsetting: ["HEADMAPS_HOME"], directory: elsewhere)
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: elsewhere + "/r/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("```sh\nheadmaps report reports/default.yaml\n```"), markdown)
    }
}
