import Foundation
import HeadMapsTestSupport
import Report
import XCTest

/// A section defined outside the Report module: one type conforming to
/// `ReportPart` and its two partials are all a new section needs.
final class ReportPartTests: XCTestCase {
    /// The vocabulary's size, and how many ids the tokenizer covers, with a note from the spec.
    struct VocabularyPart: ReportPart {
        let name = "vocabulary"
        let note: String

        struct Rows { let note: String; let rows: Int; let tokens: Int }

        static let kind = ReportPartKind(keys: ["vocabulary_note"]) { yaml, _ in
            try yaml.string("vocabulary_note").map { VocabularyPart(note: $0) }
        }

        func compute(_ context: inout ReportContext) throws -> (rows: Int, tokens: Int) {
            let counts = (context.document.shape.vocab, context.analysis.loaded.tokenizer.count)
            context.files["vocabulary.txt"] = Data("\(counts.0) rows, \(counts.1) tokens\n".utf8)
            return counts
        }

        func section(_ context: ReportContext, _ counts: (rows: Int, tokens: Int)) -> ReportSection? {
            ReportSection(rows: Rows(note: note, rows: counts.rows, tokens: counts.tokens), contents: ("vocabulary", "Vocabulary"))
        }
    }

    func testAPartDefinedOutsideTheModuleAddsItsSectionFilesAndContentsEntry() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.temporaryDirectory("report-part")
        let templates = dir + "/templates"
        try FileManager.default.copyItem(atPath: TestSupport.repositoryRoot + "/templates", toPath: templates)
        try "{{% CONTENT_TYPE: MARKDOWN}}\n\n## Vocabulary\n\n{{note}}: {{rows}} rows, {{tokens}} tokens.\n"
            .write(toFile: templates + "/markdown/vocabulary.mustache", atomically: true, encoding: .utf8)
        try "<h2 id=\"vocabulary\">Vocabulary</h2>\n<p>{{note}}: {{rows}} rows, {{tokens}} tokens.</p>\n"
            .write(toFile: templates + "/html/vocabulary.mustache", atomically: true, encoding: .utf8)
        let specText = """
        title: With a vocabulary section
        model: \(TestSupport.repositoryRoot)/fixtures/models/hf/gpt2
        relations: [name_copying]
        min_pairs: 1
        head_cards: 0
        vocabulary_note: "Rows <and> tokens"
        """
        try specText.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)

        // The standard parts do not read the key: a spec naming it is refused.
        XCTAssertThrowsError(try ReportSpec.load(file: dir + "/spec.yaml")) { error in
            XCTAssertTrue("\(error)".contains("vocabulary_note"), "\(error)")
        }
        let spec = try ReportSpec.load(file: dir + "/spec.yaml", parts: ReportParts.standard + [VocabularyPart.kind])
        XCTAssertEqual(spec.parts.map(\.name).last, "vocabulary")
        let out = dir + "/report"
        let built = try ReportBuilder(spec: spec, outputDirectory: out, templatesDirectory: templates,
                                      reproduceCommand: "headmaps report spec.yaml", toolVersion: "test").build()
        XCTAssertTrue(built.files.contains("vocabulary.txt"))
        XCTAssertEqual(try String(contentsOfFile: out + "/vocabulary.txt", encoding: .utf8), "6000 rows, 3619 tokens\n")
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains(" · [Provenance](#provenance) · [Vocabulary](#vocabulary)\n"), markdown)
        XCTAssertTrue(markdown.hasSuffix("## Vocabulary\n\nRows &lt;and&gt; tokens: 6000 rows, 3619 tokens.\n"), markdown)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<p>Rows &lt;and&gt; tokens: 6000 rows, 3619 tokens.</p>"))
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"path\": \"vocabulary.txt\""), manifest)
        XCTAssertTrue(manifest.contains("templates/markdown/vocabulary.mustache"), "the part's partials are inputs")
    }
}
