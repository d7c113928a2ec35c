import Analysis
import Foundation
import HeadMapsTestSupport
import Plot
import Report
import XCTest

/// Head cards in the report, `heads.json`, and the explorable HTML checked in
/// a real headless browser.
final class HeadCardReportTests: XCTestCase {
    var report: String { ReportTests.defaultReport.dir }

    func testCardsCoverTheTopAndTheMarkedHeadsAndSayWhy() throws {
        let markdown = try String(contentsOfFile: report + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("[Head cards](#head-cards)"), "the table of contents links the cards")
        // Planted copying heads 0.3, 14.1 and 16.4 are the top three of Name Copying; 14.1 is also marked.
        XCTAssertTrue(markdown.contains("### Head 0.3\n\ntop 1 of Name Copying (1.00). Strongest relations: Name Copying 1.00 (rank 1 of 384)."), markdown)
        XCTAssertTrue(markdown.contains("### Head 14.1\n\ntop 2 of Name Copying (1.00); marked Mover Heads on Name Copying"))
        XCTAssertTrue(markdown.contains("![Head 14.1: relation profile](figures/heads/L14H1.png) ([PDF](figures/heads/L14H1.pdf))"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: report + "/figures/heads/L14H1.pdf"))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/heads.json"))) as! [String: Any]
        XCTAssertEqual(json["schema"] as? String, "headmaps.heads.v1")
        let heads = json["heads"] as! [[String: Any]]
        XCTAssertEqual(heads.map { "\($0["layer"]!).\($0["head"]!)" }, ["0.3", "14.1", "16.4", "18.6", "20.10", "22.14", "0.11", "10.2", "12.5"])
        // A planted copying head's salient tokens map to themselves first.
        let card = heads[0]
        XCTAssertEqual(card["source_rule"] as? String, "embedding")
        for op in card["salient"] as! [[String: Any]] {
            let mappings = op["mappings"] as! [[String: Any]]
            XCTAssertEqual(mappings.first?["token_id"] as? Int, op["token_id"] as? Int, "\(op["token"]!) maps to itself")
        }
        XCTAssertEqual((card["relations"] as! [[String: Any]]).first { $0["name"] as? String == "name_copying" }?["score"] as? Double, 1)
    }

    func testARelationProfileBarHasItsScoresColour() throws {
        let chart = BarChartPanel(title: "t", labels: ["a", "b"], values: [1, 0.5], secondary: [0, 1], xLabel: "score")
        let figure = Figure(panels: [chart])
        let layout = try XCTUnwrap(figure.layout().panels[0] as? BarChartLayout)
        let image = try RasterImage.decode(try figure.pngData(dpi: 72), path: "bars.png")
        func pixel(_ p: Point) -> [UInt8] {
            let i = (Int(p.y) * image.width + Int(p.x)) * 4
            return Array(image.rgba[i..<(i + 3)])
        }
        let top = Colormap.viridis.color(1, range: 0...1), mid = Colormap.viridis.color(0.5, range: 0...1)
        func assertColour(_ got: [UInt8], _ want: RGB, line: UInt = #line) {
            // Cairo rounds each channel its own way: within one step of 255.
            for (g, w) in zip(got, [want.r, want.g, want.b]) { XCTAssertEqual(Double(g), w * 255, accuracy: 1, "\(got)", line: line) }
        }
        assertColour(pixel(layout.bars[0].center), top)
        assertColour(pixel(layout.bars[1].center), mid)
        XCTAssertEqual(layout.bars[1].width, layout.bars[0].width / 2, accuracy: 0.01)
        XCTAssertEqual(layout.secondaryBars[0].width, 0)
        XCTAssertEqual(try figure.pngData(dpi: 72), try figure.pngData(dpi: 72), "byte-identical re-renders")
    }

    /// Writes `yaml` as `dir/name.yaml` (after the demo model's line) and runs
    /// the report into `dir/name`.
    private func report(_ yaml: String, named name: String, in dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try "model: \(TestSupport.demoModel)\n\(yaml)".write(toFile: "\(dir)/\(name).yaml", atomically: true, encoding: .utf8)
        return try HeadMapsExecutable.run(["report", "\(dir)/\(name).yaml", "--out", "\(dir)/\(name)", "--quiet"])
    }

    private let oneFigure = "figures:\n  - name: f\n    panels:\n      - relation: name_copying\n"

    func testASpecChoosesHowManyCards() throws {
        let dir = TestSupport.temporaryDirectory("cards")
        let one = try report("relations: [name_copying]\nhead_cards: 1\n" + oneFigure, named: "one", in: dir)
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/one/figures/heads").sorted(), ["L0H3.pdf", "L0H3.png"])
        let none = try report("relations: [name_copying]\nhead_cards: 0\n", named: "none", in: dir)
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/none/heads.json"))
        XCTAssertFalse(try String(contentsOfFile: dir + "/none/report.md", encoding: .utf8).contains("Head cards"))
        let bad = try report("head_cards: 1000\n", named: "bad", in: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("head_cards") && bad.stderr.contains("must be 0–64"), bad.stderr)
    }

    /// `salient_operations: all`: the report also lists every head's salient
    /// operations in `salient.txt`, exactly as `headmaps head all` prints them,
    /// and says so in its head cards' section; the manifest lists the file.
    func testASpecAsksForEveryHeadsSalientOperations() throws {
        let dir = TestSupport.temporaryDirectory("salient-all")
        let all = try report("relations: [name_copying]\nhead_cards: 1\nsalient_operations: all\n" + oneFigure, named: "all", in: dir)
        XCTAssertEqual(all.status, 0, all.stderr)
        let catalogue = try String(contentsOfFile: dir + "/all/salient.txt", encoding: .utf8)
        XCTAssertEqual(catalogue.split(separator: "\n").count, 1 + 24 * 16 * SalientOperations.defaultCount)
        let cli = try HeadMapsExecutable.run(["head", "all", "--model", TestSupport.demoModel, "--quiet"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        XCTAssertEqual(catalogue, cli.stdout, "the report's list is the command's")
        XCTAssertTrue(try String(contentsOfFile: dir + "/all/report.md", encoding: .utf8).contains("`salient.txt` lists the salient operations of every head"))
        XCTAssertTrue(try String(contentsOfFile: dir + "/all/report.html", encoding: .utf8).contains("<a href=\"salient.txt\">"))
        XCTAssertTrue(try String(contentsOfFile: dir + "/all/manifest.json", encoding: .utf8).contains("\"path\": \"salient.txt\""))

        XCTAssertEqual(try report("relations: [name_copying]\nhead_cards: 1\n", named: "cards", in: dir).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cards/salient.txt"), "cards only, by default")
        XCTAssertFalse(try String(contentsOfFile: dir + "/cards/report.md", encoding: .utf8).contains("salient.txt"))

        let bad = try report("salient_operations: every\n", named: "bad", in: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("salient_operations") && bad.stderr.contains("must be cards"), bad.stderr)
    }

    /// The report opened in headless Chromium (installed by the test command
    /// from Debian): hovering the cell of head 14.1 shows its tooltip, and a
    /// click lands on its card.
    func testHoverShowsTheCellAndAClickLandsOnItsCardInARealBrowser() throws {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let browser else {
            throw XCTSkip("no Chromium: scripts/install-deps --tests installs it from Debian")
        }
        let harness = """
        <!DOCTYPE html><html><body><iframe id="f" src="report.html" style="width:1200px;height:2400px"></iframe><pre id="out">pending</pre>
        <script>
        document.getElementById("f").addEventListener("load", function () {
          var w = this.contentWindow, d = w.document, out = [];
          var img = d.querySelector("#figure-figure img"), p = JSON.parse(img.getAttribute("data-cells"))[0];
          var r = img.getBoundingClientRect(), layers = p.values.length, heads = p.values[0].length;
          var x = r.left + (p.x + 14.5 / layers * p.w) * r.width, y = r.top + (p.y + 1.5 / heads * p.h) * r.height;
          img.dispatchEvent(new w.MouseEvent("mousemove", {clientX: x, clientY: y, bubbles: true}));
          var tip = d.getElementById("cell-tooltip");
          out.push("tooltip=" + (tip.hidden ? "hidden" : tip.textContent));
          img.dispatchEvent(new w.MouseEvent("click", {clientX: x, clientY: y, bubbles: true}));
          out.push("hash=" + w.location.hash);
          img.dispatchEvent(new w.MouseEvent("mouseleave", {bubbles: true}));
          out.push("after=" + (tip.hidden ? "hidden" : "shown"));
          document.getElementById("out").textContent = out.join("|");
        });
        </script></body></html>
        """
        let dir = TestSupport.temporaryDirectory("browser")
        for file in ["report.html"] { try FileManager.default.copyItem(atPath: report + "/" + file, toPath: dir + "/" + file) }
        try harness.write(toFile: dir + "/harness.html", atomically: true, encoding: .utf8)
        let result = try TestSupport.run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                                                   "--virtual-time-budget=5000", "--dump-dom", "file://\(dir)/harness.html"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = result.stdout.components(separatedBy: "<pre id=\"out\">").last?.components(separatedBy: "</pre>").first ?? ""
        XCTAssertEqual(out, "tooltip=GPT-2 medium grid (demo): Name Copying heads · layer 14, head 1 · score 1.00 · rank 1 of 384 · marked: Mover Heads · click for its card|hash=#head-14-1|after=hidden", result.stdout.suffix(500).description)
    }
}

/// The experiments' figure panel.
final class XYPanelTests: XCTestCase {
    func testALineAndItsBandLandWhereTheirValuesSay() throws {
        let panel = XYPanel(title: "t", xLabel: "heads ablated", yLabel: "accuracy",
                            series: [.init(label: "top", x: [0, 1, 2], y: [1, 0.5, 0], style: .line, color: RGB(1, 0, 0)),
                                     .init(label: "random", x: [0, 1, 2], y: [0.5, 0.5, 0.5], style: .line, color: RGB(0, 0, 1),
                                           band: ([0.25, 0.25, 0.25], [0.75, 0.75, 0.75]))],
                            xRange: 0...2, yRange: 0...1)
        let figure = Figure(panels: [panel])
        let layout = try XCTUnwrap(figure.layout().panels[0] as? XYLayout)
        let image = try RasterImage.decode(try figure.pngData(dpi: 72), path: "xy.png")
        func pixel(_ x: Double, _ y: Double) -> [UInt8] {
            let p = layout.point(x, y, panel: panel)
            let i = (Int(p.y) * image.width + Int(p.x)) * 4
            return Array(image.rgba[i..<(i + 3)])
        }
        XCTAssertEqual(pixel(0.5, 0.75).map { $0 > 200 ? 1 : 0 }, [1, 0, 0], "the red line passes (0.5, 0.75)")
        XCTAssertEqual(pixel(1.25, 0.5).map { $0 > 200 ? 1 : 0 }, [0, 0, 1], "the blue line is level at 0.5")
        let band = pixel(1.25, 0.35)
        XCTAssertTrue(band[2] > band[0] && band[0] > 150, "the band is a light blue: \(band)")
        XCTAssertEqual(pixel(1.25, 0.9), [255, 255, 255], "outside the band: white")
        XCTAssertEqual(try figure.pngData(dpi: 72), try figure.pngData(dpi: 72), "byte-identical re-renders")
        XCTAssertEqual(XYPanel.ticks(0...1), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        XCTAssertEqual(XYPanel.ticks(0...150), [0, 50, 100, 150])
    }
}

/// The experiments as report sections (`dynamic:` and `ablation:` in a spec).
final class ExperimentReportTests: XCTestCase {
    func testASpecWithExperimentsReportsTheirTablesFiguresAndFiles() throws {
        let dir = TestSupport.temporaryDirectory("experiments")
        try """
        model: \(TestSupport.repositoryRoot)/fixtures/models/hf/gpt2
        relations: [name_copying, country_to_capital]
        min_pairs: 5
        k: 100
        head_cards: 0
        dynamic:
          templates: ["The story of <X> contains"]
        ablation:
          relations: [country_to_capital]
          heads: 4
          random_draws: 2
          control: name_copying
        figures:
          - name: figure
            panels:
              - relation: name_copying
              - relation: country_to_capital
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("[Running the model](#running-the-model)"))
        XCTAssertTrue(markdown.contains("| Name Copying | "), markdown)
        XCTAssertTrue(markdown.contains("| Country to capital | 4 | "), markdown)
        for file in ["dynamic.json", "ablation-country_to_capital.json", "figures/dynamic.png", "figures/dynamic.pdf", "figures/ablation-country_to_capital.pdf"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/out/\(file)"), file)
        }
        let dynamic = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/dynamic.json"))) as! [String: Any]
        XCTAssertEqual(dynamic["templates"] as? [String], ["The story of <X> contains"])
        XCTAssertEqual((dynamic["relations"] as! [[String: Any]]).map { $0["name"] as! String }, ["name_copying", "country_to_capital"], "the panels' relations by default")
        // The experiments' tables for a paper: the same rows as the report's, in LaTeX and CSV.
        let tex = try String(contentsOfFile: dir + "/out/tables/ablation.tex", encoding: .utf8)
        let csv = try String(contentsOfFile: dir + "/out/tables/ablation.csv", encoding: .utf8)
        let row = try XCTUnwrap(markdown.split(separator: "\n").first { $0.hasPrefix("| Country to capital | 4 | ") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertTrue(tex.contains("\\toprule\nrelation & heads & accuracy & after its heads & after random heads & control task \\\\\n\\midrule\n"), tex)
        XCTAssertTrue(tex.contains(cells.joined(separator: " & ") + " \\\\\n\\bottomrule\n\\end{tabular}\n"), tex)
        XCTAssertEqual(csv.split(separator: "\n").count, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/tables/dynamic.tex"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/out/tables/dynamic.csv", encoding: .utf8).split(separator: "\n").count, 3)
        XCTAssertTrue(markdown.contains("| [tables/ablation.tex](tables/ablation.tex) | [tables/ablation.csv](tables/ablation.csv) |"))
    }

    func testASpecWithTheMultiTokenExperimentReportsItsSectionFigureTableAndFile() throws {
        let dir = TestSupport.temporaryDirectory("multitoken-report")
        let pairs = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/Sources/Analysis/Relations/country_to_capital.json"))) as! [[String]]
        try JSONSerialization.data(withJSONObject: pairs + pairs.map { ["New " + $0[0], $0[1]] })
            .write(to: URL(fileURLWithPath: dir + "/capitals.json"))
        try """
        model: \(TestSupport.repositoryRoot)/fixtures/models/hf/gpt2
        relations: [name_copying]
        relation_files: [capitals.json]
        k: 100
        head_cards: 0
        multitoken:
          relations: [name_copying, capitals]
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: dir + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("[Multi-token sources](#multi-token-sources)"), markdown)
        XCTAssertTrue(markdown.contains("in the prompt `This is a document about <X>`:"), markdown)
        let multi = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/multitoken.json"))) as! [String: Any]
        let relations = multi["relations"] as! [[String: Any]]
        let kept = try XCTUnwrap(relations.last?["pairs_multitoken"] as? Int)
        XCTAssertTrue(markdown.contains("| Capitals | \(kept) of \(2 * pairs.count) | \(kept) | "), markdown)
        XCTAssertTrue(markdown.contains("- Name Copying: only 0 of 180 pairs have a source of several tokens"), markdown)
        for file in ["figures/multitoken.png", "figures/multitoken.pdf", "tables/multitoken.tex", "tables/multitoken.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/out/\(file)"), file)
        }
        let html = try String(contentsOfFile: dir + "/out/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<h2 id=\"multi-token-sources\">Multi-token sources</h2>"))
        XCTAssertTrue(html.contains("<code>This is a document about &lt;X&gt;</code>"))
    }

    func testExperimentSectionsNameWhatIsWrong() throws {
        let dir = TestSupport.temporaryDirectory("experiments-bad")
        func check(_ yaml: String, _ expected: String, line: UInt = #line) throws {
            try yaml.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
            let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", dir + "/out", "--quiet"])
            XCTAssertEqual(result.status, 2, line: line)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr, line: line)
        }
        try check("model: \(TestSupport.tinyModel)\nrelations: [name_copying]\ndynamic:\n  relations: [copying]\n", "'copying' is not among the relations this report scores")
        try check("model: \(TestSupport.tinyModel)\nrelations: [word_to_antonym]\nablation:\n  relations: [word_to_antonym]\n", "'word_to_antonym' has no task template in the paper")
        try check("model: \(TestSupport.tinyModel)\nrelations: [name_copying]\ndynamic:\n  relations: [name_copying]\n  templates: [\"no slot\"]\n", "must hold <X> exactly once")
        try check("model: \(TestSupport.tinyModel)\nrelations: [name_copying]\nmultitoken:\n  template: About it\n", "'multitoken.template': template 'About it' must hold <X> exactly once")
        try check("model: \(TestSupport.tinyModel)\nrelations: [name_copying]\nmultitoken:\n  relations: [copying]\n", "'copying' is not among the relations this report scores")
    }

    func testThePaperExperimentsPresetLoads() throws {
        let spec = try ReportSpec.load(file: TestSupport.repositoryRoot + "/reports/gpt2-medium-experiments.yaml")
        XCTAssertEqual(spec.dynamic?.relations.count, 18)
        XCTAssertEqual(spec.ablation?.relations.count, 12)
        XCTAssertEqual(spec.ablation?.control, "word_to_last_letter")
    }
}
