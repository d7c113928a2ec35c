import Core
import Analysis
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Plot
import Report
import HeadMapsTestSupport
import XCTest

final class ReportTests: XCTestCase {
    /// The default report, built once into a temporary folder.
    static let defaultReport: (dir: String, result: (status: Int32, stdout: String, stderr: String)) = {
        let dir = TestSupport.temporaryDirectory("report") + "/default"
        let result = try! HeadMapsExecutable.run(["report", "--out", dir])
        return (dir, result)
    }()

    func testDefaultRunWritesEveryFile() throws {
        let (dir, result) = Self.defaultReport
        XCTAssertEqual(result.status, 0, result.stderr)
        for file in ["report.md", "report.html", "scores.json", "scores.csv", "figures/figure.png", "figures/figure.pdf", "figures/overview.png", "figures/overview.pdf"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), file)
        }
        XCTAssertTrue(result.stderr.contains("scoring"), "progress on stderr")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no staging folder left behind")
        let scores = try ScoresDocument.read(path: dir + "/scores.json")
        XCTAssertEqual(scores.relations.count, 20)
        XCTAssertEqual(scores.source, "fixtures/models/demo-gpt2-medium-grid", "paths inside the project are shown relative to it")
    }

    func testObservationsNameThePlantedHeadsAndTheirScores() throws {
        let markdown = try String(contentsOfFile: Self.defaultReport.dir + "/report.md", encoding: .utf8)
        // Planted copying heads at 0.3, 14.1, 16.4, 18.6, 19.9; markers at 14.1, 16.4, 18.6, 20.10, 22.14.
        XCTAssertTrue(markdown.contains("Name Copying: 5 of 384 heads score at least 0.5 and 5 at least 0.8; they sit in layers 0, 14, 16, 18–19. The best is head 0.3 (1.00)."), markdown)
        XCTAssertTrue(markdown.contains("Of the 5 marked heads (Mover Heads), 3 score at least 0.5: 14.1 (1.00), 16.4 (1.00), 18.6 (1.00); the other 2 score low: 20.10 (0.00), 22.14 (0.00)."))
        XCTAssertTrue(markdown.contains("candidates Merullo, Eickhoff &amp; Pavlick, ICLR 2024 (as marked in Elhelo &amp; Geva, ACL 2025) did not name: 0.3 (1.00), 19.9 (1.00)."), "the marker set's own citation")
        XCTAssertTrue(markdown.contains("| 20.10 | Mover Heads | 0.00 | 13–384 of 384 (tied) |"), "a tied rank is a range")
        // Capital heads planted at 0.11, 10.2 (rank k-1), 12.5, 15.12, 20.10; 11.8 (rank k for half the countries).
        XCTAssertTrue(markdown.contains("0.11 (1.00), 10.2 (1.00), 12.5 (1.00), 15.12 (1.00), 11.8 (0.50)"))
        XCTAssertTrue(markdown.contains("The Name Copying and Country to capital maps pick different heads: their top 5 heads share 0 (Jaccard 0.00)"))
        XCTAssertTrue(markdown.contains("| Hypergeometric p of the top-5 overlap (3 shared) | 1.1e-05 |"))
        XCTAssertTrue(markdown.contains("```sh\nheadmaps report reports/default.yaml\n```"), "the Reproduce section")
        XCTAssertTrue(markdown.contains("![GPT-2 medium grid (demo): Name Copying heads · GPT-2 medium grid (demo): Country to capital heads](figures/figure.png)"))
    }

    func testStatisticsMatchHandComputedValues() {
        // 2 layers × 3 heads; marked: 0.0 and 1.2.
        let values: [[Double]] = [[0.9, 0.1, 0.5], [0.3, 0.7, 0.6]]
        let marked: Set<HeadIndex> = [HeadIndex(layer: 0, head: 0), HeadIndex(layer: 1, head: 2)]
        let s = OverlapStatistics(values: values, marked: marked)
        XCTAssertEqual(s.topN, [HeadIndex(layer: 0, head: 0), HeadIndex(layer: 1, head: 1)])
        XCTAssertEqual(s.overlapAtN, 1)
        XCTAssertEqual(s.precisionAtN, 0.5)
        XCTAssertEqual(s.marked.map(\.rank), [1, 3])
        XCTAssertEqual(s.aboveThreshold, 4)  // 0.9, 0.5, 0.7, 0.6
        XCTAssertEqual(s.precisionAboveThreshold, 0.5)
        XCTAssertEqual(s.recallAboveThreshold, 1)
        // Positives {0.9, 0.6} vs negatives {0.1, 0.5, 0.3, 0.7}: 0.9 beats 4, 0.6 beats 3 → 7/8.
        XCTAssertEqual(s.auroc!, 0.875, accuracy: 1e-12)
        // P(X ≥ 1), X ~ Hypergeometric(6, 2, 2) = 1 − C(4,2)/C(6,2) = 1 − 6/15.
        XCTAssertEqual(s.hypergeometricP, 0.6, accuracy: 1e-12)
        // (C(5,3)·C(379,2) + C(5,4)·C(379,1) + C(5,5)) / C(384,5) = (716310 + 1895 + 1) / 67782984576.
        XCTAssertEqual(Statistics.hypergeometricUpperTail(population: 384, successes: 5, draws: 5, observed: 3), 718206.0 / 67782984576.0, accuracy: 1e-15)
        XCTAssertEqual(Statistics.auroc(positives: [0.5], negatives: [0.5])!, 0.5)
        // Spearman with a tie: ranks a = [1, 2.5, 2.5, 4], b = [1, 2, 3, 4] → ρ = 4.5 / sqrt(4.5 · 5).
        XCTAssertEqual(Statistics.spearman([1, 2, 2, 3], [10, 20, 30, 40])!, 4.5 / (4.5 * 5).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(Statistics.spearman([1, 2, 3], [3, 2, 1])!, -1, accuracy: 1e-12)
        XCTAssertNil(Statistics.spearman([1, 1, 1], [1, 2, 3]))
        XCTAssertEqual(Statistics.jaccard(Set([1, 2, 3]), Set([2, 3, 4, 5])), 2.0 / 5.0)
    }

    func testHTMLIsWellFormedAndSelfContained() throws {
        let html = try Data(contentsOf: URL(fileURLWithPath: Self.defaultReport.dir + "/report.html"))
        let parser = XMLParser(data: html)
        final class Collector: NSObject, XMLParserDelegate {
            var sources: [String] = []
            var links: [String] = []
            var ids: Set<String> = []
            var images = 0
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "img" { images += 1 }
                if let v = attributes["src"] { sources.append(v) }
                if let v = attributes["href"] { links.append(v) }
                if let v = attributes["id"] { ids.insert(v) }
            }
        }
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "report.html parses: \(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertEqual(collector.images, 2 + 9, "two figures and nine head cards' profiles")
        XCTAssertTrue(collector.sources.allSatisfy { $0.hasPrefix("data:image/png;base64,") }, "only embedded images: \(collector.sources.map { String($0.prefix(40)) })")
        // Links go to the report's own sections or to the files beside it.
        for link in collector.links {
            if link.hasPrefix("#") {
                XCTAssertTrue(collector.ids.contains(String(link.dropFirst())), "\(link) has a target")
            } else {
                XCTAssertTrue((link.hasPrefix("figures/") || link.hasPrefix("tables/"))
                              && FileManager.default.fileExists(atPath: Self.defaultReport.dir + "/" + link), link)
            }
        }
        XCTAssertTrue(collector.links.contains("figures/figure.pdf") && collector.links.contains("#head-cards"))
        let text = String(decoding: html, as: UTF8.self)
        XCTAssertFalse(text.contains("http://") || text.contains("https://") || text.contains("@import"), "no external references")
        XCTAssertTrue(text.contains("@media print"))
    }

    func testPaperPresetRunsOnAModelInAFakeHuggingFaceCache() throws {
        for id in ["models--openai-community--gpt2-medium", "models--gpt2-medium"] {
            let hub = TestSupport.temporaryDirectory("hub")
            let snapshot = "\(hub)/\(id)/snapshots/0123abcd"
            try FileManager.default.createDirectory(atPath: "\(hub)/\(id)/refs", withIntermediateDirectories: true)
            try "0123abcd".write(toFile: "\(hub)/\(id)/refs/main", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: TestSupport.demoModel, toPath: snapshot)
            let out = TestSupport.temporaryDirectory("paper") + "/paper"
            let result = try HeadMapsExecutable.run(["report", TestSupport.repositoryRoot + "/reports/gpt2-medium-paper.yaml", "--out", out, "--quiet"],
                                                    environment: ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let text = try Tools.run("pdftotext", [out + "/figures/figure.pdf", "-"])
            XCTAssertTrue(text.contains("GPT-2 medium: Name Copying heads") && text.contains("GPT-2 medium: Country to capital heads"))
            XCTAssertTrue(text.contains("Mover Heads") && text.contains("Capital heads"))
            let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
            XCTAssertTrue(markdown.contains("the positions are approximate"))
        }
    }

    /// GPT-2 small's grid (12 × 12) from a fake cache: the Wang et al. preset
    /// (x and o markers, a suppression panel) and the 20-relation overview.
    func testGPT2SmallPresetsRunOnAFakeHuggingFaceCache() throws {
        let hub = TestSupport.temporaryDirectory("hub-small")
        let snapshot = "\(hub)/models--openai-community--gpt2/snapshots/feedbeef"
        let made = try HeadMapsExecutable.run(["make-fixture", "--shape", "gpt2-grid", "--out", snapshot])
        XCTAssertEqual(made.status, 0, made.stderr)
        let environment = ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"]
        let out = TestSupport.temporaryDirectory("wang")
        let wang = try HeadMapsExecutable.run(["report", TestSupport.repositoryRoot + "/reports/gpt2-small-wang.yaml", "--out", out + "/wang", "--quiet"],
                                              environment: environment)
        XCTAssertEqual(wang.status, 0, wang.stderr)
        let text = try Tools.run("pdftotext", [out + "/wang/figures/figure.pdf", "-"])
        for needle in ["GPT-2: Name-Copying heads", "GPT-2: (Suppression) Name-Copying heads", "Name Mover Heads",
                       "Backup Name Mover Heads", "Negative Name Mover Heads"] {
            XCTAssertTrue(text.contains(needle), "'\(needle)' in the figure")
        }
        let markdown = try String(contentsOfFile: out + "/wang/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("### Suppression Name Copying: Negative Name Mover Heads"), markdown)
        XCTAssertTrue(markdown.contains("### Name Copying: Name Mover Heads, Backup Name Mover Heads"))

        let overview = try HeadMapsExecutable.run(["report", TestSupport.repositoryRoot + "/reports/overview.yaml", "--out", out + "/overview", "--quiet"],
                                                  environment: environment)
        XCTAssertEqual(overview.status, 0, overview.stderr)
        let grid = try XCTUnwrap(RasterImage(pngData: Data(contentsOf: URL(fileURLWithPath: out + "/overview/figures/overview.png"))))
        XCTAssertGreaterThan(grid.width, grid.height, "a 5-column grid of 20 maps")
        XCTAssertEqual(try ScoresDocument.read(path: out + "/overview/scores.json").relations.count, 20)
    }

    func testMissingHubModelSaysWhereItLookedAndHowToGetIt() throws {
        let hub = TestSupport.temporaryDirectory("emptyhub")
        let result = try HeadMapsExecutable.run(["report", TestSupport.repositoryRoot + "/reports/gpt2-small-wang.yaml", "--out", hub + "/out"],
                                                environment: ["HF_HUB_CACHE": hub, "HF_HOME": hub + "/home", "HOME": hub])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("model 'gpt2' is neither a directory nor in the local Hugging Face cache"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\(hub)/models--openai-community--gpt2"))
        XCTAssertTrue(result.stderr.contains("huggingface-cli download openai-community/gpt2"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: hub + "/out"))
    }

    func testSpecErrorsNameFileLineAndKey() throws {
        let dir = TestSupport.temporaryDirectory("spec")
        for (text, expected) in [
            ("model: x\ncolour: red\n", ":2: 'colour': unknown key"),
            ("model: x\nrelations: [name_copying, capitals_of_mars]\n", ":2: 'relations': unknown relation 'capitals_of_mars'"),
            ("model: x\nfigures:\n  - name: f\n    panels:\n      - relation: name_copying\n        colormap: jet\n", ":6: 'figures[1].panels[1].colormap': must be viridis or diverging"),
            ("model: x\nk: ten\n", ":2: 'k': must be an integer"),
            ("title: no model\n", "'model': is required"),
            ("model: [unclosed\n", "is not valid YAML"),
        ] {
            let path = dir + "/s.yaml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ReportSpec.load(file: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should contain \(expected)")
            }
        }
    }

    func testAFailedRunLeavesAnExistingReportUntouched() throws {
        let dir = TestSupport.temporaryDirectory("keep") + "/report"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "previous".write(toFile: dir + "/report.md", atomically: true, encoding: .utf8)
        let spec = (dir as NSString).deletingLastPathComponent + "/broken.yaml"
        try "model: /nonexistent/model\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", spec, "--out", dir, "--quiet"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(try String(contentsOfFile: dir + "/report.md", encoding: .utf8), "previous")
    }

    /// A model from the cache is named by the id it was asked for, not by the snapshot's hash.
    func testAModelFromTheCacheIsNamedByItsId() throws {
        let hub = TestSupport.temporaryDirectory("hub-name")
        let repo = "\(hub)/models--openai-community--gpt2-medium"
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try "0123abcd".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: repo + "/snapshots", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestSupport.demoModel, toPath: repo + "/snapshots/0123abcd")
        let dir = TestSupport.temporaryDirectory("named")
        try "model: gpt2-medium\nrelations: [name_copying]\n".write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--quiet"], environment: ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: dir + "/spec/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("attention heads of gpt2-medium (24 layers × 16 heads)"), markdown)
        XCTAssertFalse(markdown.contains("heads of 0123abcd"))
    }

    /// A cache as users have it: a blob missing behind a link is named as
    /// such, and a mistyped id gets the ids that are there.
    func testDanglingBlobLinksAndMistypedIdsAreExplained() throws {
        let hub = TestSupport.temporaryDirectory("hub-cache")
        let repo = "\(hub)/models--openai-community--gpt2-medium"
        let snapshot = repo + "/snapshots/0123abcd"
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try "0123abcd".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: TestSupport.demoModel) {
            try FileManager.default.copyItem(atPath: "\(TestSupport.demoModel)/\(name)", toPath: "\(repo)/blobs/\(name)")
            try FileManager.default.createSymbolicLink(atPath: "\(snapshot)/\(name)", withDestinationPath: "../../blobs/\(name)")
        }
        let environment = ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"]
        try FileManager.default.removeItem(atPath: repo + "/blobs/model.safetensors")
        let out = TestSupport.temporaryDirectory("dangling") + "/s.json"
        let weights = try HeadMapsExecutable.run(["scores", "--model", "gpt2-medium", "--relation", "name_copying", "--out", out, "--quiet"], environment: environment)
        XCTAssertEqual(weights.status, 2)
        XCTAssertTrue(weights.stderr.contains("model.safetensors: is a link to ../../blobs/model.safetensors, which does not exist"), weights.stderr)
        try FileManager.default.removeItem(atPath: repo + "/blobs/config.json")
        let config = try HeadMapsExecutable.run(["scores", "--model", "gpt2-medium", "--relation", "name_copying", "--out", out, "--quiet"], environment: environment)
        XCTAssertTrue(config.stderr.contains("config.json: a link to ../../blobs/config.json, which does not exist"), config.stderr)
        let typo = try HeadMapsExecutable.run(["scores", "--model", "gpt2-meduim", "--relation", "name_copying", "--out", out, "--quiet"], environment: environment)
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("Did you mean: openai-community/gpt2-medium?"), typo.stderr)
    }

    /// The reports document's complete example is a spec and a marker set that load.
    func testTheDocumentedExampleSpecLoads() throws {
        let readme = try String(contentsOfFile: TestSupport.repositoryRoot + "/docs/reports.md", encoding: .utf8)
        let example = try XCTUnwrap(readme.components(separatedBy: "A complete example").dropFirst().first)
        let blocks = example.components(separatedBy: "```yaml\n").dropFirst().prefix(2).map { $0.components(separatedBy: "```")[0] }
        XCTAssertEqual(blocks.count, 2)
        let dir = TestSupport.temporaryDirectory("readme") + "/reports"
        try FileManager.default.createDirectory(atPath: dir + "/markers", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        try blocks[0].write(toFile: dir + "/my-study.yaml", atomically: true, encoding: .utf8)
        try blocks[1].write(toFile: dir + "/markers/wang-name-movers.yaml", atomically: true, encoding: .utf8)
        try #"[["France", "Paris"], ["Japan", "Tokyo"]]"#.write(toFile: dir + "/data/capital_of.json", atomically: true, encoding: .utf8)
        let spec = try ReportSpec.load(file: dir + "/my-study.yaml")
        XCTAssertEqual(spec.model, "gpt2")
        XCTAssertEqual(spec.figures.map(\.name), ["figure", "overview"])
        XCTAssertEqual(spec.figures[0].dpi, 300)
        XCTAssertEqual(spec.figures[0].widthInches, 7)
        XCTAssertEqual(spec.figures[0].fontSize, 9)
        XCTAssertEqual(spec.figures[0].panels?[1].range, 0...0.5)
        XCTAssertEqual(try spec.relationsToScore().map(\.name), ["name_copying", "capital_of"])
        let markers = try XCTUnwrap(spec.figures[0].panels?[0].markers)
        XCTAssertEqual(markers.classes.map(\.isControl), [false, false, true])
        XCTAssertEqual(markers.positiveHeads.count, 11)
    }
}
