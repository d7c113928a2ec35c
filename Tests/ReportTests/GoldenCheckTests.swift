import Analysis
import Checkpoint
import Foundation
import FoundationXML
import Plot
import Report
import HeadMapsTestSupport
import XCTest

final class GoldenCheckTests: XCTestCase {
    static let golden = TestSupport.repositoryRoot + "/fixtures/golden/default"

    /// The project's own CI check: the default report against its committed goldens.
    func testDefaultReportMatchesTheCommittedGoldens() throws {
        let out = TestSupport.temporaryDirectory("check") + "/default"
        let result = try HeadMapsExecutable.run(["report", "--quiet", "--out", out, "--check", Self.golden])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue(result.stdout.contains("all 4 files match"), result.stdout)
        XCTAssertTrue(result.stdout.contains("figures/figure.png    match"), result.stdout)
    }

    func testARepaintedCellFailsTheCheckAndWritesTheDiffImages() throws {
        let dir = TestSupport.temporaryDirectory("repaint")
        let golden = dir + "/golden"
        try FileManager.default.copyItem(atPath: Self.golden, toPath: golden)
        // Repaint a 20 × 20 pixel block of the golden figure.
        let path = golden + "/figures/figure.png"
        let image = try XCTUnwrap(RasterImage(pngData: Data(contentsOf: URL(fileURLWithPath: path))))
        var rgba = image.rgba
        for y in 200..<220 { for x in 300..<320 { rgba[(y * image.width + x) * 4] = 255; rgba[(y * image.width + x) * 4 + 1] = 0 } }
        try RasterImage(width: image.width, height: image.height, rgba: rgba).pngData().write(to: URL(fileURLWithPath: path))

        let result = try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("figures/figure.png    DIFFERS  RMS"), result.stdout)
        XCTAssertTrue(result.stdout.contains("1 of 4 files differ"), result.stdout)
        for suffix in ["actual", "expected", "diff", "side-by-side"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/report-check/figure-\(suffix).png"), suffix)
        }
        // --update rewrites the goldens deliberately; then the check passes.
        let update = try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden, "--update"])
        XCTAssertEqual(update.status, 0, update.stderr)
        XCTAssertTrue(update.stdout.contains("updated 4 golden files"))
        XCTAssertEqual(try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/report-check"), "a passing check removes the stale diffs")
    }

    func testCompareImages() throws {
        let dir = TestSupport.temporaryDirectory("compare-png")
        let golden = Self.golden + "/figures/figure.png"
        let same = try HeadMapsExecutable.run(["compare", golden, golden])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertTrue(same.stdout.hasPrefix("match: RMS 0.000"), same.stdout)

        let image = try XCTUnwrap(RasterImage(pngData: Data(contentsOf: URL(fileURLWithPath: golden))))
        let cropped = RasterImage(width: image.width - 1, height: image.height, rgba: (0..<image.height).flatMap { y in
            Array(image.rgba[(y * image.width * 4)..<((y * image.width + image.width - 1) * 4)])
        })
        try cropped.pngData().write(to: URL(fileURLWithPath: dir + "/cropped.png"))
        let sized = try HeadMapsExecutable.run(["compare", dir + "/cropped.png", golden, "--diff-dir", dir + "/diffs"])
        XCTAssertEqual(sized.status, 1)
        XCTAssertTrue(sized.stdout.contains("size \(image.width - 1)×\(image.height), expected \(image.width)×\(image.height)"), sized.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/diffs/cropped-side-by-side.png"))
    }

    func testCompareScoresNamesTheRelationsAndHeadsThatDiffer() throws {
        let dir = TestSupport.temporaryDirectory("compare-json")
        let expected = try ScoresDocument.read(path: Self.golden + "/scores.json")
        var changed = expected
        let index = changed.relations.firstIndex { $0.name == "country_to_capital" }!
        let r = changed.relations[index]
        var hits = r.hits
        hits[20][10] -= 3
        changed.relations[index] = RelationScores(name: r.name, title: r.title, k: r.k, pairsTotal: r.pairsTotal, pairsKept: r.pairsKept,
                                                  skipReason: nil, hits: hits, suppressionHits: r.suppressionHits)
        changed.relations.removeAll { $0.name == "word_to_synonym" }
        try changed.encoded().write(toFile: dir + "/changed.json", atomically: true, encoding: .utf8)

        let result = try HeadMapsExecutable.run(["compare", dir + "/changed.json", Self.golden + "/scores.json"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("only in the expected scores: word_to_synonym"), result.stdout)
        XCTAssertTrue(result.stdout.contains("country_to_capital: 1 head differs, max |Δscore| 0.03: 20.10 (-3 pairs)"), result.stdout)
        XCTAssertEqual(try HeadMapsExecutable.run(["compare", Self.golden + "/scores.json", Self.golden + "/scores.json"]).status, 0)
    }

    /// Same inputs, same bytes: every file of two default reports, built with
    /// different BLAS thread counts and time zones.
    func testTwoRunsOfTheDefaultReportAreByteIdentical() throws {
        let dir = TestSupport.temporaryDirectory("twice")
        for (name, threads, zone) in [("a", "1", "UTC"), ("b", "2", "Asia/Tokyo")] {
            let result = try HeadMapsExecutable.run(["report", "--quiet", "--out", "\(dir)/\(name)"],
                                                    environment: ["OPENBLAS_NUM_THREADS": threads, "TZ": zone])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir + "/a").filter { !$0.hasSuffix("figures") && !$0.hasSuffix("heads") && $0 != "tables" }.sorted()
        let cards = ["L0H11", "L0H3", "L10H2", "L12H5", "L14H1", "L16H4", "L18H6", "L20H10", "L22H14"].flatMap { ["figures/heads/\($0).pdf", "figures/heads/\($0).png"] }
        XCTAssertEqual(files, ["environment.json", "figures/figure.pdf", "figures/figure.png"] + cards + ["figures/overview.pdf", "figures/overview.png",
                               "heads.json", "manifest.json", "report.html", "report.md", "scores.csv", "scores.json",
                               "tables/overlap.csv", "tables/overlap.tex", "tables/top-heads.csv", "tables/top-heads.tex"])
        for file in files {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(dir)/a/\(file)"), FileManager.default.contents(atPath: "\(dir)/b/\(file)"), file)
        }
    }

    func testManifestHashesEveryInputAndOutput() throws {
        let out = ReportTests.defaultReport.dir
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))) as! [String: Any]
        XCTAssertEqual(manifest["schema"] as? String, "headmaps.manifest.v1")
        let inputs = manifest["inputs"] as! [[String: Any]]
        let roles = Set(inputs.map { $0["role"] as! String })
        XCTAssertEqual(roles, ["model", "weights", "relation", "markers", "specification", "template"])
        let weights = inputs.first { $0["role"] as? String == "weights" }!
        XCTAssertEqual(weights["sha256"] as? String, try Manifest.sha256(file: TestSupport.demoModel + "/model.safetensors").1)
        let outputs = manifest["outputs"] as! [[String: Any]]
        XCTAssertEqual(outputs.count, 8 + 1 + 2 * 9 + 2 * 2, "the report's files, heads.json, nine cards' PNG and PDF, two tables' LaTeX and CSV")
        for o in outputs {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(o["path"] as! String)"))
            XCTAssertEqual(o["sha256"] as? String, Manifest.sha256(data), o["path"] as! String)
        }
        let software = manifest["software"] as! [String: String]
        XCTAssertTrue(software["cairo"]!.hasPrefix("1."))
        XCTAssertTrue(software["openblas"]!.hasPrefix("OpenBLAS"))
        XCTAssertNil(software["git_commit"], "the commit is a fact of the checkout: environment.json")
        let environment = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/environment.json"))) as! [String: String]
        XCTAssertNotNil(environment["git_commit"])
        let settings = manifest["settings"] as! [String: String]
        XCTAssertEqual(settings["k.name_copying"], "1")
        XCTAssertEqual(settings["k.country_to_capital"], "10")
    }

    /// The README's CI line leaves the working tree as it was: the fresh
    /// report goes to a temporary folder, not over the committed one.
    func testACheckDoesNotTouchTheCommittedReport() throws {
        let root = TestSupport.repositoryRoot
        let committed = root + "/reports/default/report.md"
        let before = try FileManager.default.attributesOfItem(atPath: committed)[.modificationDate] as? Date
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "reports/default.yaml", "--quiet", "--check", "fixtures/golden/default"], directory: root)
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: committed)[.modificationDate] as? Date, before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/reports/default-check"))
    }

    /// Where the command is typed from, and how the spec is spelled, change no byte.
    func testOutputsDoNotDependOnWhereTheCommandWasTyped() throws {
        let root = TestSupport.repositoryRoot
        let a = TestSupport.temporaryDirectory("typed-a") + "/r", b = TestSupport.temporaryDirectory("typed-b") + "/r"
        XCTAssertEqual(try TestSupport.run(HeadMapsExecutable.path, ["report", "reports/default.yaml", "--quiet", "--out", a], directory: root).status, 0)
        XCTAssertEqual(try TestSupport.run(HeadMapsExecutable.path, ["report", "../reports/../reports/default.yaml", "--quiet", "--out", b], directory: root + "/fixtures").status, 0)
        for file in ["report.md", "report.html", "scores.json", "manifest.json"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(file)")), try Data(contentsOf: URL(fileURLWithPath: "\(b)/\(file)")), file)
        }
        let manifest = try String(contentsOfFile: a + "/manifest.json", encoding: .utf8)
        XCTAssertFalse(manifest.contains("git_commit") || manifest.contains("MAX_THREADS"), "machine facts live in environment.json")
        let environment = try String(contentsOfFile: a + "/environment.json", encoding: .utf8)
        XCTAssertTrue(environment.contains("\"git_commit\"") && environment.contains("openblas_configuration"), environment)
    }

    /// The committed `reports/default/` is what `headmaps report` writes today:
    /// its text, data and the inputs its manifest lists (a new template, spec
    /// or relation must be committed with a regenerated report). Images and
    /// their hashes depend on the machine's Cairo and fonts, so they are left
    /// to the golden check.
    func testTheCommittedDefaultReportIsCurrent() throws {
        let root = TestSupport.repositoryRoot
        let fresh = TestSupport.temporaryDirectory("current") + "/r"
        let result = try TestSupport.run(HeadMapsExecutable.path, ["report", "reports/default.yaml", "--quiet", "--out", fresh], directory: root)
        XCTAssertEqual(result.status, 0, result.stderr)
        let regenerate = "regenerate with `headmaps report` (scripts/demo) and commit reports/default/"
        for file in ["report.md", "scores.json", "scores.csv", "heads.json"] {
            XCTAssertEqual(try String(contentsOfFile: "\(fresh)/\(file)", encoding: .utf8),
                           try String(contentsOfFile: "\(root)/reports/default/\(file)", encoding: .utf8), "\(file): \(regenerate)")
        }
        func inputs(_ path: String) throws -> [String] {
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            return (manifest["inputs"] as! [[String: Any]]).map { "\($0["path"]!) \($0["sha256"]!)" }
        }
        XCTAssertEqual(try inputs(fresh + "/manifest.json"), try inputs(root + "/reports/default/manifest.json"), "manifest inputs: \(regenerate)")
    }

    /// The report's words are golden too: a changed line fails with a unified diff;
    /// --summary and --junit say the same for a PR and a CI dashboard.
    func testAChangedReportTextFailsWithAUnifiedDiffSummaryAndJUnit() throws {
        let dir = TestSupport.temporaryDirectory("text")
        let golden = dir + "/golden"
        try FileManager.default.copyItem(atPath: Self.golden, toPath: golden)
        var text = try String(contentsOfFile: golden + "/report.md", encoding: .utf8)
        text = text.replacingOccurrences(of: "## Observations", with: "## Findings")
        try text.write(toFile: golden + "/report.md", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden,
                                                 "--summary", dir + "/summary.md", "--junit", dir + "/junit.xml"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("report.md             DIFFERS  2 lines differ"), result.stdout)
        let diff = try String(contentsOfFile: dir + "/report-check/report.md.diff", encoding: .utf8)
        XCTAssertTrue(diff.hasPrefix("--- golden/report.md\n+++ report/report.md\n@@ "), diff)
        XCTAssertTrue(diff.contains("\n-## Findings\n+## Observations\n"), diff)
        let summary = try String(contentsOfFile: dir + "/summary.md", encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("### HeadMaps golden check: 1 of 4 files differ"), summary)
        XCTAssertTrue(summary.contains("| `report.md` | **differs** |") && summary.contains("report.md.diff"), summary)
        let junit = try XMLDocument(contentsOf: URL(fileURLWithPath: dir + "/junit.xml"))
        let suite = try XCTUnwrap(junit.rootElement()?.elements(forName: "testsuite").first)
        XCTAssertEqual(suite.attribute(forName: "tests")?.stringValue, "4")
        XCTAssertEqual(suite.attribute(forName: "failures")?.stringValue, "1")
    }

    /// --update makes the goldens exactly what the report produces.
    func testUpdateRemovesGoldensTheReportNoLongerProduces() throws {
        let dir = TestSupport.temporaryDirectory("orphans")
        let golden = dir + "/golden"
        try FileManager.default.copyItem(atPath: Self.golden, toPath: golden)
        try FileManager.default.copyItem(atPath: golden + "/figures/figure.png", toPath: golden + "/figures/renamed-away.png")
        let result = try HeadMapsExecutable.run(["report", "--quiet", "--check", golden, "--update"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("removed 1 golden files the report no longer produces: figures/renamed-away.png"), result.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: golden + "/figures").sorted(), ["figure.png", "overview.png"])
    }

    func testACheckAgainstAMissingGoldenFolderIsAnErrorNotAMismatch() throws {
        let result = try HeadMapsExecutable.run(["report", "--quiet", "--check", "/nonexistent/golden"])
        XCTAssertEqual(result.status, 2, "2: an error; 1 is kept for a mismatch")
        XCTAssertTrue(result.stderr.contains("no golden figures or scores.json"), result.stderr)
    }

    /// When k or the kept pairs change, the heads that moved are still listed.
    func testScoresComparisonListsHeadsAlsoWhenKChanged() throws {
        func document(k: Int, hits: Int) -> ScoresDocument {
            ScoresDocument(source: "m", shape: ModelShape(layers: 1, heads: 2, dModel: 4, vocab: 100), relations: [
                RelationScores(name: "r", title: "R", k: k, pairsTotal: 40, pairsKept: 40, skipReason: nil, hits: [[hits, 3]], suppressionHits: [[0, 0]]),
            ])
        }
        let comparison = ScoresComparison(actual: document(k: 5, hits: 12), expected: document(k: 10, hits: 20))
        XCTAssertFalse(comparison.matches)
        XCTAssertEqual(comparison.lines, ["r: k 5 vs 10, pairs kept 40 vs 40, skipped false vs false; 1 head differs, max |Δscore| 0.2: 0.0 (-8 pairs)"])
    }

    /// The unified diff reads as GNU diff's: the same hunks, line for line.
    func testTextDiffMatchesGNUDiff() throws {
        let dir = TestSupport.temporaryDirectory("textdiff")
        let old = (1...60).map { "line \($0)" }
        var new = old
        new[4] = "line five, changed"
        new.remove(at: 20)
        new.insert("inserted", at: 40)
        new.append("appended")
        let a = old.joined(separator: "\n") + "\n", b = new.joined(separator: "\n") + "\n"
        try a.write(toFile: dir + "/a", atomically: true, encoding: .utf8)
        try b.write(toFile: dir + "/b", atomically: true, encoding: .utf8)
        let gnu = try TestSupport.run("/usr/bin/env", ["diff", "-u", dir + "/a", dir + "/b"]).stdout
        let mine = TextDiff.unified(expected: a, actual: b, expectedName: "a", actualName: "b")
        XCTAssertEqual(Array(mine.split(separator: "\n").dropFirst(2)), Array(gnu.split(separator: "\n").dropFirst(2)))
    }
}
