import Analysis
import Experiments
import Core
import Foundation

/// Runs a report specification end to end: the run (analysis and figures),
/// its provenance, the typed sections, the Markdown and HTML, and the output
/// folder, which is written beside the destination and moved into place
/// only when complete.
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

    public init(spec: ReportSpec, outputDirectory: String, templatesDirectory: String, reproduceCommand: String, toolVersion: String) {
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
        let run = try ReportRun(spec: spec, modelOverride: modelOverride, display: display, log: log, progress: progress)
        let templates = try ReportTemplates(directory: templatesDirectory)
        let provenance = try Provenance(run: run, templates: templates.files, toolVersion: toolVersion,
                                        projectRoot: projectRoot, display: display)
        var manifest = provenance.manifest
        let content = ReportContent(run: run, manifest: manifest, reproduce: reproduceCommand, display: display)

        var files: [String: Data] = ["scores.json": Data(run.document.encoded().utf8), "scores.csv": Data(run.document.csv().utf8)]
        for figure in run.figures {
            files["figures/\(figure.name).png"] = figure.png
            files["figures/\(figure.name).pdf"] = figure.pdf
        }
        for card in run.headCards {
            files["figures/heads/\(card.stem).png"] = card.profilePNG
            files["figures/heads/\(card.stem).pdf"] = card.profilePDF
        }
        if !run.headCards.isEmpty { files["heads.json"] = Data(run.headsJSON().utf8) }
        if !run.salientOperationsOfEveryHead.isEmpty {
            let tokenizer = run.analysis.loaded.tokenizer
            files["salient.txt"] = Data(SalientOperationsText.catalogue(run.salientOperationsOfEveryHead, decode: { tokenizer.decode([$0]) }).utf8)
        }
        if !run.dynamic.isEmpty {
            files["dynamic.json"] = Data(DynamicDocument.encode(model: run.document.source, templates: spec.dynamic?.templates ?? [], relations: run.dynamic).utf8)
        }
        for a in run.ablations { files["ablation-\(a.relation).json"] = Data(AblationDocument.encode(model: run.document.source, a).utf8) }
        files["report.md"] = Data(try templates.render("report.md", content).utf8)
        files["report.html"] = Data(try templates.render("report.html", content).utf8)
        manifest.outputs = files.keys.sorted().map { Manifest.Entry(role: "output", path: $0, bytes: files[$0]!.count, sha256: Manifest.sha256(files[$0]!)) }
        files["manifest.json"] = Data(manifest.encoded().utf8)
        files["environment.json"] = Data(provenance.environmentJSON.utf8)
        try ReportDirectory.write(files, to: outputDirectory, protecting: guarded(run), log: log)
        let shape = run.document.shape
        log("wrote \(outputDirectory)/report.md, report.html, figures/, scores.json (\(shape.layers)×\(shape.heads) heads)")
        return Output(directory: outputDirectory, files: files.keys.sorted())
    }

    /// What the report must never replace: the caller's list, and its own inputs.
    func guarded(_ run: ReportRun) -> [ReportDirectory.Protected] {
        protected + [ReportDirectory.Protected(run.modelPath, role: "the model folder"),
                     ReportDirectory.Protected(spec.file, role: "the report specification")]
            + run.analysis.request.relations.filter { !$0.isBuiltin }.map { ReportDirectory.Protected($0.origin, role: "a relation file") }
            + spec.markerFiles.map { ReportDirectory.Protected($0, role: "a marker set") }
    }

    func display(_ path: String) -> String { Paths.display(path, relativeTo: projectRoot) }
}
