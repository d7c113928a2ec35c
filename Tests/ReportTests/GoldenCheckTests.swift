import Analysis
import Checkpoint
import Foundation
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
        XCTAssertTrue(result.stdout.contains("all 3 files match"), result.stdout)
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
        XCTAssertTrue(result.stdout.contains("1 of 3 files differ"), result.stdout)
        for suffix in ["actual", "expected", "diff", "side-by-side"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/report-check/figure-\(suffix).png"), suffix)
        }
        // --update rewrites the goldens deliberately; then the check passes.
        let update = try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden, "--update"])
        XCTAssertEqual(update.status, 0, update.stderr)
        XCTAssertTrue(update.stdout.contains("updated 3 golden files"))
        XCTAssertEqual(try HeadMapsExecutable.run(["report", "--quiet", "--out", dir + "/report", "--check", golden]).status, 0)
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
        XCTAssertTrue(result.stdout.contains("country_to_capital: 1 head differ, max |Δscore| 0.03: 20.10 (-3 pairs)"), result.stdout)
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
        let files = try FileManager.default.subpathsOfDirectory(atPath: dir + "/a").filter { !$0.hasSuffix("figures") }.sorted()
        XCTAssertEqual(files, ["figures/figure.pdf", "figures/figure.png", "figures/overview.pdf", "figures/overview.png",
                               "manifest.json", "report.html", "report.md", "scores.json"])
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
        XCTAssertEqual(outputs.count, 7)
        for o in outputs {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(o["path"] as! String)"))
            XCTAssertEqual(o["sha256"] as? String, Manifest.sha256(data), o["path"] as! String)
        }
        let software = manifest["software"] as! [String: String]
        XCTAssertTrue(software["cairo"]!.hasPrefix("1."))
        XCTAssertTrue(software["openblas"]!.hasPrefix("OpenBLAS"))
        XCTAssertNotNil(software["git_commit"])
        let settings = manifest["settings"] as! [String: String]
        XCTAssertEqual(settings["k.name_copying"], "1")
        XCTAssertEqual(settings["k.country_to_capital"], "10")
    }
}
