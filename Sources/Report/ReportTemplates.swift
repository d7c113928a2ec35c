import Core
import Foundation
import Mustache

/// The report's Mustache templates: `report.md` and `report.html`, each made
/// of one partial per section (`templates/markdown/*`, `templates/html/*`).
/// Markdown templates declare `{{% CONTENT_TYPE: MARKDOWN}}`: `{{value}}` is
/// then escaped for Markdown (`MarkdownText`), as HTML templates escape for HTML.
struct ReportTemplates {
    let directory: String
    /// Every template file, in a stable order (for the manifest).
    let files: [String]
    private let library: MustacheLibrary

    init(directory: String) throws {
        MustacheContentTypes.register(MarkdownContentType(), named: "MARKDOWN")
        self.directory = directory
        let fm = FileManager.default
        // Through a symbolic link too: the enumerator would not descend into one.
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        guard let all = fm.enumerator(atPath: real)?.compactMap({ $0 as? String }) else {
            throw ReportError.templatesMissing(directory: directory)
        }
        let names = all.filter { $0.hasSuffix(".mustache") }.sorted()
        var library = MustacheLibrary()
        for name in names {
            let path = "\(directory)/\(name)"
            let text = try InputFile.text(path, kind: "report template", limit: InputFile.Limit.yaml)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw ReportError.templateDoesNotParse(path: path, reason: "\(error)")
            }
        }
        for required in ["report.md", "report.html"] where !names.contains(required + ".mustache") {
            throw ReportError.templateMissing(path: "\(directory)/\(required).mustache")
        }
        files = names.map { "\(directory)/\($0)" }
        self.library = library
    }

    func render(_ name: String, _ content: ReportPage) throws -> String {
        guard let text = library.render(content, withTemplate: name) else {
            throw ReportError.templateMissing(path: "\(directory)/\(name).mustache")
        }
        return text
    }

    struct MarkdownContentType: MustacheContentType {
        func escapeText(_ text: String) -> String { MarkdownText.escape(text) }
    }
}
