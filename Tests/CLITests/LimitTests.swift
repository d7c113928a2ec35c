import Analysis
import Checkpoint
import Foundation
import Plot
import Report
import HeadMapsTestSupport
import XCTest

/// Inputs that used to crash, hang or exhaust memory: each gets an error
/// within a limit far above real use, or a drawn figure, never an empty file.
final class LimitTests: XCTestCase {
    lazy var scores: String = {
        let path = TestSupport.temporaryDirectory("limits") + "/s.json"
        let result = try! HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", path, "--quiet"])
        precondition(result.status == 0, result.stderr)
        return path
    }()

    /// Runs `headmaps` under `timeout`, so a hang fails the test instead of the suite.
    func run(_ arguments: [String], seconds: Int = 60) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run("/usr/bin/timeout", ["\(seconds)", HeadMapsExecutable.path] + arguments)
    }

    func assertFails(_ arguments: [String], _ words: [String], noFile: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertEqual(result.status, 2, "exit code (124 is a hang): \(result.stderr)", file: file, line: line)
        for word in words { XCTAssertTrue(result.stderr.contains(word), "'\(word)' not in: \(result.stderr)", file: file, line: line) }
        if let noFile { XCTAssertFalse(FileManager.default.fileExists(atPath: noFile), "no output file", file: file, line: line) }
    }

    // MARK: Figures

    func testRenderRejectsDPIThatCannotDrawAndNeverWritesAnEmptyFile() throws {
        let out = TestSupport.temporaryDirectory("dpi") + "/f.png"
        for dpi in ["0", "-5", "nan", "inf", "1e9"] {
            try assertFails(["render", "--scores", scores, "--relation", "name_copying", "--dpi=\(dpi)", "--out", out],
                            ["dpi must be a number from 10 to 2400"], noFile: out)
        }
    }

    func testAVeryLongTitleIsAnErrorNotAnEmptyFile() throws {
        let out = TestSupport.temporaryDirectory("title") + "/f.png"
        try assertFails(["render", "--scores", scores, "--relation", "name_copying", "--title", String(repeating: "long ", count: 20_000), "--out", out],
                        ["a panel title is 100000 characters long; the limit is 500"], noFile: out)
    }

    func testSpecDPIAndRangeMustBeFiniteAndSensible() throws {
        let dir = TestSupport.temporaryDirectory("spec-numbers")
        let cases: [(String, String)] = [
            ("dpi: .nan", "'figures[1].dpi': must be a number"),
            ("dpi: -1", "'figures[1].dpi': must be a number from 10 to 2400"),
            ("dpi: 0", "'figures[1].dpi': must be a number from 10 to 2400"),
            ("dpi: 100000", "'figures[1].dpi': must be a number from 10 to 2400"),
            ("panels: [{relation: name_copying, range: [0, .inf]}]", "'figures[1].panels[1].range': must be [low, high]: finite numbers"),
            ("panels: [{relation: name_copying, range: [.nan, 1]}]", "'figures[1].panels[1].range': must be [low, high]: finite numbers"),
            ("panels: [{relation: name_copying, range: [1, 1]}]", "'figures[1].panels[1].range': must be [low, high]: finite numbers"),
        ]
        for (i, (figure, message)) in cases.enumerated() {
            let panels = figure.hasPrefix("panels") ? "" : "\n    panels: all"
            try "model: \(TestSupport.tinyModel)\nfigures:\n  - name: f\n    \(figure)\(panels)\n".write(toFile: "\(dir)/s\(i).yaml", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ReportSpec.load(file: "\(dir)/s\(i).yaml"), figure) { error in
                XCTAssertTrue("\(error)".contains(message), "\(figure): \(error)")
            }
        }
    }

    func testFigureLibraryRejectsWhatItCannotDraw() throws {
        var panel = HeatmapPanel(title: "t", values: [[0.5]], colorbarLabel: "score")
        panel.range = 1...1
        XCTAssertThrowsError(try Figure(panels: [panel]).pngData()) { XCTAssertEqual($0 as? FigureError, .invalidRange(panel: "t", low: 1, high: 1)) }
        var empty = HeatmapPanel(title: "e", values: [[0]], colorbarLabel: "score")
        empty.values = []
        XCTAssertThrowsError(try Figure(panels: [empty]).pdfData()) { XCTAssertEqual($0 as? FigureError, .emptyGrid(panel: "e")) }
        let nan = HeatmapPanel(title: "n", values: [[0.1, .nan]], colorbarLabel: "score")
        XCTAssertThrowsError(try Figure(panels: [nan]).pngData()) { XCTAssertEqual($0 as? FigureError, .nonFiniteValue(panel: "n", layer: 0, head: 1)) }
        // A 1 × 1 grid is drawn, not refused.
        let tiny = try Figure(panels: [HeatmapPanel(title: "one head", values: [[0.7]], colorbarLabel: "score")]).pngData()
        XCTAssertNotNil(RasterImage(pngData: tiny))
    }

    // MARK: Scores files

    func testScoresFileWithNoHeadsIsAnError() throws {
        let dir = TestSupport.temporaryDirectory("zero")
        for (layers, heads) in [(0, 4), (4, 0), (5000, 1)] {
            let path = "\(dir)/z\(layers)x\(heads).json"
            try """
            {"schema": "headmaps.scores.v1", "model": {"source": "", "layers": \(layers), "heads": \(heads), "d_model": 4, "vocab": 10}, "relations": []}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            try assertFails(["render", "--scores", path, "--relation", "name_copying", "--out", dir + "/f.png"],
                            ["must each be at least 1 and at most"], noFile: dir + "/f.png")
        }
    }

    // MARK: PNG files

    /// A small file declaring 20000 × 20000 pixels is refused before decoding.
    func testComparingAnImageWithAHugeDeclaredSizeIsAnError() throws {
        let huge = TestSupport.repositoryRoot + "/fixtures/fuzz/png/huge-header.png"
        let dir = TestSupport.temporaryDirectory("huge")
        let figure = dir + "/f.png"
        XCTAssertEqual(try run(["render", "--scores", scores, "--relation", "name_copying", "--out", figure]).status, 0)
        try assertFails(["compare", figure, huge], ["a PNG of 20000 × 20000 pixels, more than the limit of 64000000 pixels"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["f.png"], "no diff images")
    }

    // MARK: Files that are not regular files

    func testAFIFOWhereAFileBelongsIsAnErrorNotAHang() throws {
        let dir = TestSupport.temporaryDirectory("fifo")
        let model = dir + "/model"
        try FileManager.default.copyItem(atPath: TestSupport.tinyModel, toPath: model)
        for name in ["model.safetensors", "config.json", "vocab.json"] {
            let path = "\(model)/\(name)"
            try FileManager.default.moveItem(atPath: path, toPath: path + ".real")
            XCTAssertEqual(mkfifo(path, 0o644), 0)
            try assertFails(["scores", "--model", model, "--relation", "name_copying", "--out", dir + "/s.json", "--quiet"],
                            [name, "FIFO"], noFile: dir + "/s.json")
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: path + ".real", toPath: path)
        }
        XCTAssertEqual(mkfifo(dir + "/pairs.json", 0o644), 0)
        try assertFails(["scores", "--model", model, "--relation-file", dir + "/pairs.json", "--out", dir + "/s.json", "--quiet"],
                        ["pairs.json: expected a relation file, found a FIFO"])
        try assertFails(["render", "--scores", dir + "/pairs.json", "--relation", "x", "--out", dir + "/f.png"], ["FIFO"])
    }

    // MARK: Sizes

    func testRelationFileWithTooManyPairsIsAnError() throws {
        let path = TestSupport.temporaryDirectory("many") + "/many.json"
        let pairs = (0...100_000).map { "[\"a\($0)\", \"b\($0)\"]" }.joined(separator: ",")
        try "[\(pairs)]".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Relation.load(file: path)) { error in
            XCTAssertTrue("\(error)".contains("100001 pairs, more than the limit of 100000"), "\(error)")
        }
    }

    func testSafetensorsHeaderWithTooManyEntriesIsAnError() throws {
        let entries = (0...100_000).map { "\"t\($0)\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}" }.joined(separator: ",")
        XCTAssertThrowsError(try SafetensorsFile.parseHeader(Data("{\(entries)}".utf8), dataSize: 0, path: "big.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("header lists 100001 entries, more than the limit of 100000 tensors"), "\(error)")
        }
    }

    // MARK: A checkpoint truncated while it is read

    /// Aligned F32 tensors are read in place from the mapping. Truncating the
    /// file under it used to kill the process with SIGBUS when a vanished page
    /// was touched; now the read completes (with zeros) and the file is
    /// reported as changed before any result is kept.
    func testTouchingPagesOfATruncatedMappingIsAnErrorNotSIGBUS() throws {
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel)
        let path = dir + "/model.safetensors"
        let file = try SafetensorsFile(path: path)
        let tensor = try file.floats(file.tensors["wte.weight"]!)
        XCTAssertTrue(tensor.isBorrowedFromMapping)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 4096)
        try handle.close()
        // Every page of the embedding, most of them past the new end of the file.
        var sum: Float = 0
        for i in stride(from: 0, to: tensor.count, by: 512) { sum += tensor[i] }
        XCTAssertTrue(sum.isFinite)
        XCTAssertThrowsError(try file.checkUnchanged()) { error in
            XCTAssertTrue("\(error)".contains("changed size while it was being read"), "\(error)")
        }
    }

    /// The same through the command line, truncating at a random moment of a
    /// real run: an error or a complete result, never a signal.
    func testTruncatingACheckpointDuringARunNeverKillsTheProcess() throws {
        for trial in 0..<4 {
            let dir = try CheckpointCopies.rewrite(TestSupport.demoModel)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: HeadMapsExecutable.path)
            process.arguments = ["scores", "--model", dir, "--out", dir + "/s.json", "--quiet"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 0.05 + 0.1 * Double(trial))
            truncate(dir + "/model.safetensors", 100_000)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "trial \(trial): died of signal \(process.terminationStatus)")
            if process.terminationStatus == 0 {
                // Finished before the truncation could matter: then it must be whole.
                XCTAssertNoThrow(try ScoresDocument.read(path: dir + "/s.json"))
            } else {
                XCTAssertEqual(process.terminationStatus, 2)
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s.json"), "trial \(trial)")
            }
        }
    }

    /// Templates are checked, count and length, before any prompt is tokenized:
    /// a 1 MB template or ten thousand of them is an error at once, not minutes of work.
    func testTemplatesBeyondTheLimitsAreRefusedBeforeAnyWork() throws {
        let dir = TestSupport.temporaryDirectory("template-limits")
        let many = (0..<101).map { "Template \($0) about <X>" }
        let long = [String(repeating: "word ", count: 200_000) + "<X>"]
        for (name, list, message) in [("many", many, "101 templates; at most 100"), ("long", long, "1000003 characters long; at most 4096")] {
            try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: "\(dir)/\(name).json"))
            let started = Date()
            let result = try HeadMapsExecutable.run(["dynamic", "--model", TestSupport.tinyModel, "--relation", "name_copying",
                                                     "--templates", "\(dir)/\(name).json", "--out", "\(dir)/d.json", "--quiet"])
            XCTAssertEqual(result.status, 2, name)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, "refused before tokenizing")
        }
        let ablate = try HeadMapsExecutable.run(["ablate", "--model", TestSupport.tinyModel, "--relation", "name_copying",
                                                 "--template", String(repeating: "w", count: 5000) + "<X>", "--out", "\(dir)/a.json", "--quiet"])
        XCTAssertEqual(ablate.status, 2)
        XCTAssertTrue(ablate.stderr.contains("--template: template"), ablate.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/d.json") || FileManager.default.fileExists(atPath: "\(dir)/a.json"))
    }
}
