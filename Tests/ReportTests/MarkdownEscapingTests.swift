import Foundation
import HeadMapsTestSupport
import XCTest

/// What a spec or data puts into report.md cannot break its images, links,
/// tables or code: brackets, emphasis marks, `&`, backticks and newlines are
/// escaped, code spans and the Reproduce block outgrow the backticks inside them.
final class MarkdownEscapingTests: XCTestCase {
    func testTitlesPathsAndNamesCannotBreakTheMarkdown() throws {
        let dir = TestSupport.temporaryDirectory("markdown") + "/odd\n```folder"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"[["Paris", "France"], ["Tokyo", "Japan"]]"#.write(toFile: dir + "/odd`name.json", atomically: true, encoding: .utf8)
        let title = "Scores in [0, 1) & *more* _x_ ](javascript:alert(1)) &copy;"
        try """
        model: \(TestSupport.tinyModel)
        relations: [name_copying]
        relation_files: ["odd`name.json"]
        head_cards: 0
        figures:
          - name: figure
            panels:
              - relation: name_copying
                title: "\(title)"
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let out = TestSupport.temporaryDirectory("markdown-out") + "/report"
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", out, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        let escaped = #"Scores in \[0, 1) &amp; \*more\* \_x\_ \](javascript:alert(1)) &amp;copy;"#
        XCTAssertTrue(markdown.contains("![\(escaped)](figures/figure.png)"), markdown)
        XCTAssertTrue(markdown.contains("| Odd\\`name (``odd`name``) | only "), "a code span longer than the backtick inside: \(markdown)")
        // The spec's path holds a newline and three backticks: the block's fence is four.
        XCTAssertTrue(markdown.contains("\n````sh\nheadmaps report '"), markdown)
        XCTAssertTrue(markdown.hasSuffix("spec.yaml'\n````\n\n## Provenance") || markdown.contains("spec.yaml'\n````\n"), markdown)
    }

    /// `width_in` is the figure's width in print: the PDF's page and the PNG's pixels at its dpi.
    func testAFiguresWidthInInchesIsItsPrintedWidth() throws {
        let dir = TestSupport.temporaryDirectory("width")
        try """
        model: \(TestSupport.demoModel)
        relations: [name_copying, country_to_capital]
        head_cards: 0
        figures:
          - name: figure
            columns: 2
            dpi: 300
            width_in: 7
            font_size: 9
            panels:
              - relation: name_copying
              - relation: country_to_capital
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let info = try Tools.run("pdfinfo", [dir + "/out/figures/figure.pdf"])
        XCTAssertTrue(info.contains("Page size:       504 x "), info)
        let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/figures/figure.png"))
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(width, 2100, "7 inches at 300 dpi")
    }

    /// What a paper's LaTeX would read as commands is escaped in the tables.
    func testPaperTablesEscapeLaTeXAndMatchTheirCSV() throws {
        let dir = TestSupport.temporaryDirectory("latex")
        // Name copying's own pairs under another name: the fixture's planted copying heads score on it.
        try FileManager.default.copyItem(atPath: TestSupport.repositoryRoot + "/Sources/Analysis/Relations/name_copying.json",
                                         toPath: dir + "/cost_of_50%_&_more.json")
        try """
        model: \(TestSupport.tinyModel)
        relations: [name_copying]
        relation_files: ["cost_of_50%_&_more.json"]
        min_pairs: 1
        head_cards: 0
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--out", dir + "/out", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let tex = try String(contentsOfFile: dir + "/out/tables/top-heads.tex", encoding: .utf8)
        let csv = try String(contentsOfFile: dir + "/out/tables/top-heads.csv", encoding: .utf8)
        XCTAssertTrue(tex.hasPrefix("% The best heads of each relation (score above 0), by static score\n"), tex)
        XCTAssertTrue(tex.contains("\\begin{tabular}{lrlrrl}\n\\toprule\n"), tex)
        XCTAssertFalse(tex.contains("Cost of 50% & more"), "unescaped: \(tex)")
        XCTAssertTrue(csv.contains("\nCost of 50% & more,1,"), csv)
        XCTAssertTrue(tex.contains("\nCost of 50\\% \\& more & 1 & "), tex)
        let texRows = tex.split(separator: "\n").filter { $0.hasSuffix(" \\\\") }.count - 1
        XCTAssertEqual(texRows, csv.split(separator: "\n").count - 1, "one LaTeX row per CSV row")
        XCTAssertGreaterThan(texRows, 0)
    }
}
