import Analysis
import Core
import Foundation

/// Runs a report specification end to end: the shared analysis, each part's
/// computation, the provenance, each part's section, the Markdown and HTML,
/// and the output folder, which is written beside the destination and moved
/// into place only when complete.
public struct ReportBuilder {
    public var spec: ReportSpec
    public var outputDirectory: String
    public var templatesDirectory: String
    /// Paths under this folder are shown relative to it, so reports do not
    /// depend on where the project was cloned.
    public var projectRoot: String?
    /// A model to use instead of the spec's (a directory or a hub id).
    public var modelOverride: String?
    public var reproduceCommand: String
    public var toolVersion: String
    /// Folders and files the report must never replace (a golden folder, say).
    public var protected: [ReportDirectory.Protected] = []
    public var log: (String) -> Void = { _ in }
    public var progress: ((Int, Int) -> Void)?

    public init(
        spec: ReportSpec, outputDirectory: String, templatesDirectory: String, reproduceCommand: String,
        toolVersion: String
    ) {
        self.spec = spec
        self.outputDirectory = outputDirectory
        self.templatesDirectory = templatesDirectory
        self.reproduceCommand = reproduceCommand
        self.toolVersion = toolVersion
    }

    public struct Output {
        public let directory: String
        /// Paths relative to `directory`, in a stable order.
        public let files: [String]
    }

    public func build() throws -> Output {
        let templates = try ReportTemplates(directory: templatesDirectory)
        var context = try ReportContext(
            spec: spec, modelOverride: modelOverride, reproduce: reproduceCommand, display: display,
            log: log, progress: progress)
        context.files = [
            "scores.json": Data(context.document.encoded().utf8), "scores.csv": Data(context.document.csv().utf8),
        ]
        let pending = try spec.parts.map { try $0.run(&context) }
        let provenance = try Provenance(
            context: context, templates: templates.files, toolVersion: toolVersion,
            projectRoot: projectRoot, display: display)
        context.manifest = provenance.manifest
        let sections = zip(spec.parts, pending).compactMap { part, section in section(context).map { (part.name, $0) } }
        let page = ReportPage(context: context, sections: sections)

        var files = context.files
        for figure in context.figures {
            files["figures/\(figure.name).png"] = figure.png
            files["figures/\(figure.name).pdf"] = figure.pdf
        }
        files["report.md"] = Data(try templates.render("report.md", page).utf8)
        files["report.html"] = Data(try templates.render("report.html", page).utf8)
        var manifest = provenance.manifest
        manifest.outputs = files.keys.sorted().map {
            Manifest.Entry(role: "output", path: $0, bytes: files[$0]!.count, sha256: Manifest.sha256(files[$0]!))
        }
        files["manifest.json"] = Data(manifest.encoded().utf8)
        files["environment.json"] = Data(provenance.environmentJSON.utf8)
        try ReportDirectory.write(files, to: outputDirectory, protecting: guarded(context), log: log)
        let shape = context.document.shape
        log(
            "wrote \(outputDirectory)/report.md, report.html, figures/, scores.json (\(shape.layers)×\(shape.heads) "
                + "heads)"
        )
        return Output(directory: outputDirectory, files: files.keys.sorted())
    }

    /// What the report must never replace: the caller's list, and its own inputs.
    func guarded(_ context: ReportContext) -> [ReportDirectory.Protected] {
        protected + context.members.map { ReportDirectory.Protected($0.path, role: "the model folder") }
            + [ReportDirectory.Protected(spec.file, role: "the report specification")]
            + context.analysis.request.relations.filter { !$0.isBuiltin }.map {
                ReportDirectory.Protected($0.origin, role: "a relation file")
            }
            + spec.partInputs.map { ReportDirectory.Protected($0.path, role: $0.description) }
    }

    func display(_ path: String) -> String { Paths.display(path, relativeTo: projectRoot) }
}
