import Analysis
import Checkpoint
import Foundation
import Plot
import HeadMapsTestSupport
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

    /// The no-argument default belongs to `report`: `scores` is told which model.
    func testScoresNeedsAModel() throws {
        let out = TestSupport.temporaryDirectory("no-model") + "/scores.json"
        let result = try HeadMapsExecutable.run(["scores", "--relation", "name_copying", "--quiet", "--out", out])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("Missing expected argument '--model <model>'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testScoresTheCommittedFixture() throws {
        let out = TestSupport.temporaryDirectory("default") + "/scores.json"
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.demoModel, "--relation", "name_copying", "--quiet", "--out", out])
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
        XCTAssertEqual(result.status, 2)
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
        for file in ["model.safetensors", "vocab.json", "merges.txt", "tokenizer.json", "config.json", "planted.json"] {
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
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), try FileManager.default.contentsOfDirectory(atPath: TestSupport.demoModel).sorted())
        for file in ["model.safetensors", "vocab.json", "merges.txt", "tokenizer.json", "config.json", "planted.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/\(file)"), FileManager.default.contents(atPath: "\(TestSupport.demoModel)/\(file)"),
                           "\(file) differs: regenerate with `headmaps make-fixture --shape demo --dtype F16 --out fixtures/models/demo-gpt2-medium-grid`")
        }
    }

    func testHelpDescribesTheCommands() throws {
        let result = try HeadMapsExecutable.run(["--help"])
        XCTAssertEqual(result.status, 0)
        for word in ["scores", "make-fixture", "relations"] { XCTAssertTrue(result.stdout.contains(word), word) }
    }

    /// Every subcommand's help is whole prose: a usage line, and no escape
    /// characters leaked from a source string (a `\\` meant as a line join).
    func testEverySubcommandHelpReadsAsProse() throws {
        let commands = ["report", "scores", "head", "forward", "dynamic", "ablate", "render", "compare", "relations", "make-fixture"]
        for command in commands {
            let result = try HeadMapsExecutable.run(["help", command])
            XCTAssertEqual(result.status, 0, command)
            XCTAssertTrue(result.stdout.contains("USAGE: headmaps \(command)"), command)
            XCTAssertFalse(result.stdout.contains("\\"), "\(command)'s help shows a backslash:\n\(result.stdout)")
        }
    }
}

final class RenderCommandTests: XCTestCase {
    static func scores(minPairs: Int = 30) -> String {
        let path = TestSupport.temporaryDirectory("render") + "/scores.json"
        let result = try! HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--quiet", "--relation", "name_copying",
                                                  "--relation", "country_to_capital", "--min-pairs", String(minPairs), "--out", path])
        precondition(result.status == 0, result.stderr)
        return path
    }

    static let markersFile: String = {
        let path = TestSupport.temporaryDirectory("markers") + "/markers.yaml"
        try! "title: Planted\ncitation: this test\nclasses:\n  - label: Copying heads\n    marker: x\n    heads: [0.1, 2.2]\n  - label: Other\n    marker: o\n    heads: [3.3]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    func testRendersTwoPanelPNGAndPDFWithMarkers() throws {
        let dir = TestSupport.temporaryDirectory("render-out")
        let scores = Self.scores()
        for ext in ["png", "pdf"] {
            let result = try HeadMapsExecutable.run(["render", "--scores", scores, "--relation", "name_copying", "--relation", "country_to_capital",
                                                     "--markers", Self.markersFile, "--model-name", "Tiny", "--out", "\(dir)/fig.\(ext)"])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let image = try XCTUnwrap(RasterImage(pngData: Data(contentsOf: URL(fileURLWithPath: dir + "/fig.png"))))
        XCTAssertGreaterThan(Double(image.width), Double(image.height) * 1.5, "two panels side by side")
        let text = try Tools.run("pdftotext", [dir + "/fig.pdf", "-"])
        XCTAssertTrue(text.contains("Tiny: Name Copying heads"))
        XCTAssertTrue(text.contains("Tiny: Country to capital heads"))
        XCTAssertTrue(text.contains("Copying heads") && text.contains("Planted"))
    }

    func testSkippedRelationUnknownRelationAndOutOfRangeMarkersFail() throws {
        let dir = TestSupport.temporaryDirectory("render-bad")
        let skipped = try HeadMapsExecutable.run(["render", "--scores", Self.scores(minPairs: 1000), "--relation", "name_copying", "--out", dir + "/a.png"])
        XCTAssertEqual(skipped.status, 2)
        XCTAssertTrue(skipped.stderr.contains("was skipped"), skipped.stderr)
        let unknown = try HeadMapsExecutable.run(["render", "--scores", Self.scores(), "--relation", "verb_to_past_tense", "--out", dir + "/b.png"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("no relation 'verb_to_past_tense'") && unknown.stderr.contains("name_copying"), unknown.stderr)
        let outside = dir + "/outside.yaml"
        try "classes:\n  - label: Far\n    heads: [9.6]\n".write(toFile: outside, atomically: true, encoding: .utf8)
        let bad = try HeadMapsExecutable.run(["render", "--scores", Self.scores(), "--relation", "name_copying", "--markers", outside, "--out", dir + "/c.png"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("head 9.6") && bad.stderr.contains("outside the model's 4 layers × 4 heads"), bad.stderr)
        let wrongExtension = try HeadMapsExecutable.run(["render", "--scores", Self.scores(), "--relation", "name_copying", "--out", dir + "/d.gif"])
        XCTAssertEqual(wrongExtension.status, 2)
        XCTAssertTrue(wrongExtension.stderr.contains(".png, .pdf or .svg"), wrongExtension.stderr)
        for name in ["a.png", "b.png", "c.png", "d.svg"] { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/" + name)) }
    }

    /// Publication controls of render: a value range, a colorbar label,
    /// suppression per panel, SVG output, and PNGs that record their DPI.
    func testRenderRangeLabelSuppressionPerPanelSVGAndDPI() throws {
        let dir = TestSupport.temporaryDirectory("render-controls")
        let base = ["render", "--scores", Self.scores(), "--relation", "name_copying", "--relation", "name_copying:suppression",
                    "--range", "0:0.5", "--colorbar-label", "Share of pairs"]
        XCTAssertEqual(try HeadMapsExecutable.run(base + ["--out", dir + "/f.pdf"]).status, 0)
        let text = try Tools.run("pdftotext", [dir + "/f.pdf", "-"])
        XCTAssertTrue(text.contains("Share of pairs"), text)
        XCTAssertTrue(text.contains("(Suppression) Name Copying heads"), text)
        XCTAssertTrue(text.contains("0.5"), "the range's top is a colorbar tick: \(text)")

        for name in ["a", "b"] { XCTAssertEqual(try HeadMapsExecutable.run(base + ["--format", "svg", "--out", "\(dir)/\(name).figure"]).status, 0) }
        let svg = try String(contentsOfFile: dir + "/a.figure", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("<svg"), String(svg.prefix(200)))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.figure")), try Data(contentsOf: URL(fileURLWithPath: dir + "/b.figure")), "SVG is deterministic")

        XCTAssertEqual(try HeadMapsExecutable.run(base + ["--dpi", "300", "--out", dir + "/f.png"]).status, 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/f.png"))
        XCTAssertEqual(String(decoding: png[37..<41], as: UTF8.self), "pHYs", "the chunk after IHDR")
        XCTAssertEqual(png[41..<45].reduce(0) { $0 << 8 | Int($1) }, 11811, "300 dpi in pixels per metre")
        XCTAssertNotNil(RasterImage(pngData: png), "still a valid PNG (Cairo checks every CRC)")

        let bad = try HeadMapsExecutable.run(["render", "--scores", Self.scores(), "--relation", "name_copying", "--range", "1:0", "--out", dir + "/x.png"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("--range must be MIN:MAX with finite MIN < MAX"), bad.stderr)
    }

}

/// The commands that analyse a model: scores in long form, one head's card.
final class AnalysisCommandTests: XCTestCase {
    /// Long-form CSV for pandas and R: one row per relation and head.
    func testScoresAlsoAsLongFormCSV() throws {
        let dir = TestSupport.temporaryDirectory("csv")
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--relation", "country_to_capital",
                                                 "--out", dir + "/s.json", "--csv", dir + "/s.csv", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try String(contentsOfFile: dir + "/s.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "model,relation,layer,head,score,suppression,pairs_kept,k")
        XCTAssertEqual(lines.count, 1 + 2 * 4 * 4, "two relations × 4 layers × 4 heads")
        // Planted: a copying head at 0.1 and a suppression head at 3.3 (tiny fixture's planted.json).
        XCTAssertTrue(lines.contains { $0.hasSuffix(",name_copying,0,1,1.0,0.0,\(lines[1].split(separator: ",")[6]),1") }, "\(lines.prefix(4))")
        XCTAssertTrue(lines.contains { $0.contains(",name_copying,3,3,0.0,1.0,") })
        let json = try ScoresDocument.read(path: dir + "/s.json")
        XCTAssertEqual(lines.filter { $0.contains(",country_to_capital,") }.count, 16)
        XCTAssertEqual(json.csv(), try String(contentsOfFile: dir + "/s.csv", encoding: .utf8), "the CSV is the JSON's, in long form")
    }

    /// `headmaps head`: one head's card. On a planted copying head every pair
    /// hits, hits are exactly target_rank < k, and their share is the score.
    func testHeadCardOfAPlantedHead() throws {
        let dir = TestSupport.temporaryDirectory("head")
        for spelling in ["2.2", "L2H2", "l2.h2"] {
            let result = try HeadMapsExecutable.run(["head", spelling, "--model", TestSupport.tinyModel, "--relation", "name_copying",
                                                     "--relation", "country_to_capital", "--salient", "5", "--quiet", "--json", dir + "/h.json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("head 2.2\n"), spelling)
        }
        let card = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/h.json"))) as! [String: Any]
        XCTAssertEqual(card["schema"] as? String, "headmaps.head.v1")
        XCTAssertEqual(card["source_rule"] as? String, "mlp0")
        let salient = card["salient"] as! [[String: Any]]
        XCTAssertEqual(salient.count, 5)
        for op in salient { XCTAssertEqual(op["token_id"] as? Int, (op["mappings"] as! [[String: Any]])[0]["token_id"] as? Int, "a copying head maps a token to itself") }
        let relations = card["relations"] as! [[String: Any]]
        XCTAssertEqual(relations.count, 20, "every relation, for the ranks")
        for r in relations {
            guard let pairs = r["pairs"] as? [[String: Any]] else { continue }
            let k = r["k"] as! Int
            for p in pairs { XCTAssertEqual(p["hit"] as? Bool, (p["target_rank"] as! Int) < k) }
            XCTAssertEqual(Double(pairs.filter { $0["hit"] as! Bool }.count) / Double(pairs.count), r["score"] as! Double, accuracy: 1e-12, r["name"] as! String)
        }
        let copying = relations.first { $0["name"] as? String == "name_copying" }!
        XCTAssertEqual(copying["score"] as? Double, 1.0)
        XCTAssertEqual(copying["rank"] as? Int, 1)
        XCTAssertNil(relations.first { $0["name"] as? String == "copying" }!["pairs"], "pairs only for the relations asked for")

        let bad = try HeadMapsExecutable.run(["head", "nine", "--model", TestSupport.tinyModel, "--quiet"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("is not a head; write L.H (9.6), L9H6 or L9.H6"), bad.stderr)
        let outside = try HeadMapsExecutable.run(["head", "9.0", "--model", TestSupport.tinyModel, "--quiet"])
        XCTAssertEqual(outside.status, 2)
        XCTAssertTrue(outside.stderr.contains("outside the model's 4 layers × 4 heads"), outside.stderr)
    }

    /// `headmaps head all`: every head's salient operations, a line each led
    /// by its head, and every card as `headmaps.heads.v1`; each head's
    /// operations are what `headmaps head L.H` gives for it alone.
    func testEveryHeadsSalientOperations() throws {
        let dir = TestSupport.temporaryDirectory("head-all")
        let all = try HeadMapsExecutable.run(["head", "all", "--model", TestSupport.tinyModel, "--salient", "4", "--mappings", "2", "--quiet",
                                              "--json", dir + "/heads.json"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let lines = all.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + 16 * 4, "a header, then 4 operations for each of 4 × 4 heads")
        XCTAssertEqual(Set(lines.dropFirst().map { String($0.prefix(while: { $0 != " " })) }).count, 16)
        // The planted copying head 0.1 maps each of its salient tokens to itself.
        XCTAssertEqual(lines.filter { $0.hasPrefix("0.1 ") }.count, 4)
        for line in lines where line.hasPrefix("0.1 ") {
            let parts = line.components(separatedBy: " → ")
            let source = parts[0].components(separatedBy: "  ").last!
            XCTAssertTrue(parts[1].hasPrefix(source + ","), line)
        }
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/heads.json"))) as! [String: Any]
        XCTAssertEqual(document["schema"] as? String, "headmaps.heads.v1")
        let heads = document["heads"] as! [[String: Any]]
        XCTAssertEqual(heads.map { "\($0["layer"]!).\($0["head"]!)" }, (0..<4).flatMap { l in (0..<4).map { "\(l).\($0)" } })
        for (layer, head) in [(0, 1), (2, 1), (3, 3)] {
            let one = try HeadMapsExecutable.run(["head", "\(layer).\(head)", "--model", TestSupport.tinyModel, "--salient", "4", "--mappings", "2",
                                                  "--quiet", "--json", dir + "/one.json"])
            XCTAssertEqual(one.status, 0, one.stderr)
            let card = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/one.json"))) as! [String: Any]
            let entry = heads[layer * 4 + head]
            XCTAssertEqual(entry["reasons"] as? [String], [])
            let a = entry["salient"] as! [[String: Any]], b = card["salient"] as! [[String: Any]]
            XCTAssertEqual(a.map { $0["token_id"] as! Int }, b.map { $0["token_id"] as! Int }, "\(layer).\(head)")
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x["amplification"] as! Double, y["amplification"] as! Double, "computed in double, written as float32")
                XCTAssertEqual((x["mappings"] as! [[String: Any]]).map { $0["token_id"] as! Int }, (y["mappings"] as! [[String: Any]]).map { $0["token_id"] as! Int })
            }
            XCTAssertEqual((entry["relations"] as! [[String: Any]]).map { $0["score"] as! Double }, (card["relations"] as! [[String: Any]]).map { $0["score"] as! Double })
        }
        let named = try HeadMapsExecutable.run(["head", "all", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--quiet"])
        XCTAssertEqual(named.status, 2)
        XCTAssertTrue(named.stderr.contains("head all lists no pairs"), named.stderr)
    }
}

/// Every command takes `--quiet` and `--help`; a bad option or value is bad
/// input like any other, exit status 2 with the parser's message.
final class CommandConventionTests: XCTestCase {
    static let commands = ["report", "scores", "head", "forward", "dynamic", "ablate", "render", "compare", "relations", "make-fixture"]

    func testEveryCommandTakesQuietAndHelp() throws {
        for command in Self.commands {
            let help = try HeadMapsExecutable.run([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            XCTAssertTrue(help.stdout.contains("--quiet"), "\(command) --help lists --quiet")
        }
        let relations = try HeadMapsExecutable.run(["relations", "--quiet"])
        XCTAssertEqual(relations.status, 0, relations.stderr)
        XCTAssertTrue(relations.stdout.contains("name_copying"))
    }

    func testBadOptionValuesExitWithStatus2() throws {
        for arguments in [["scores", "--model", TestSupport.tinyModel, "--k", "many"], ["forward", "--model", TestSupport.tinyModel],
                          ["relations", "--no-such-option"], ["compare"]] {
            let result = try HeadMapsExecutable.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("Error:") || result.stderr.contains("error:"), result.stderr)
        }
    }
}

/// Statistics that would look stronger than they are, and settings a spec
/// would take that the command line refuses, are refused everywhere.
final class MisleadingInputTests: XCTestCase {
    /// Invalid UTF-8 in an argument (a prompt, a path) would reach the
    /// command as U+FFFD: refused, naming the argument.
    func testAnArgumentThatIsNotUTF8IsRefused() throws {
        let script = #""$0" forward --model "$1" --prompt "$(printf 'caf\351 is')""#
        let result = try TestSupport.run("/bin/sh", ["-c", script, HeadMapsExecutable.path, TestSupport.tinyModel])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("argument 5 is not valid UTF-8 ('caf\u{FFFD} is'"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testAControlEqualToTheAblatedRelationIsRefused() throws {
        let result = try HeadMapsExecutable.run(["ablate", "--model", TestSupport.tinyModel, "--relation", "country_to_capital",
                                                 "--control", "country_to_capital", "--out", TestSupport.temporaryDirectory("ablate") + "/a.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("is the ablated relation itself"), result.stderr)
    }

    func testATemplateListedTwiceIsRefused() throws {
        let dir = TestSupport.temporaryDirectory("templates")
        try Data(#"["The story of <X> contains", "The story of <X> contains"]"#.utf8).write(to: URL(fileURLWithPath: dir + "/t.json"))
        let result = try HeadMapsExecutable.run(["dynamic", "--model", TestSupport.tinyModel, "--relation", "name_copying",
                                                 "--templates", dir + "/t.json", "--out", dir + "/d.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("is listed twice"), result.stderr)
    }

    func testCompareRefusesANegativeOrNaNTolerance() throws {
        for tolerance in ["-1", "nan"] {
            let result = try HeadMapsExecutable.run(["compare", "a.png", "b.png", "--tolerance=\(tolerance)"])
            XCTAssertEqual(result.status, 2, tolerance)
            XCTAssertTrue(result.stderr.contains("--tolerance must be a finite number"), result.stderr)
        }
    }

    /// A scores file holding one relation twice would be compared on one copy only.
    func testAScoresFileWithARelationTwiceIsRefused() throws {
        let dir = TestSupport.temporaryDirectory("twice")
        let scores = dir + "/s.json"
        XCTAssertEqual(try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", scores,
                                                   "--quiet"]).status, 0)
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scores))) as! [String: Any]
        let relations = document["relations"] as! [[String: Any]]
        document["relations"] = relations + relations
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: dir + "/twice.json"))
        let result = try HeadMapsExecutable.run(["compare", scores, dir + "/twice.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("relation 'name_copying' appears twice"), result.stderr)
    }

    func testASpecRefusesWhatTheCommandLineRefuses() throws {
        let dir = TestSupport.temporaryDirectory("spec-values")
        for (body, expected) in [("min_pairs: -5\n", "min_pairs"), ("ablation:\n  relations: [country_to_capital]\n  seed: -1\n", "seed")] {
            let spec = dir + "/s.yaml"
            try ("model: \(TestSupport.tinyModel)\nrelations: [country_to_capital]\n" + body).write(toFile: spec, atomically: true, encoding: .utf8)
            let result = try HeadMapsExecutable.run(["report", spec, "--out", dir + "/out", "--quiet"])
            XCTAssertEqual(result.status, 2, body)
            XCTAssertTrue(result.stderr.contains(expected), "\(expected): \(result.stderr)")
        }
    }
}
