import Analysis
import ArgumentParser
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run a report specification: scores, figures, statistics and a Markdown + HTML report.",
        discussion: """
        With no SPEC, runs reports/default.yaml: the committed demo fixture. The report goes to
        reports/<spec name>/ (report.md, report.html, figures/*.png|pdf, scores.json), written to a
        temporary folder and moved into place only when complete.
        Presets: reports/gpt2-medium-paper.yaml, reports/gpt2-small-wang.yaml, reports/overview.yaml.
        Models named by a Hugging Face id are read from the local cache (HF_HUB_CACHE, HF_HOME/hub,
        ~/.cache/huggingface/hub), never downloaded.
        """)

    @Argument(help: "A report specification (YAML). Default: reports/default.yaml.")
    var spec: String?

    @Option(name: .long, help: "Use this model (a directory or a Hugging Face id) instead of the spec's.")
    var model: String?

    @Option(name: .long, help: "Output folder. Default: reports/<spec name>/ beside the spec.")
    var out: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            let progress = Progress(quiet: quiet)
            let root = ProjectFiles.root
            let specPath = try spec ?? root.map { "\($0)/reports/default.yaml" } ?? { throw CLIError("no SPEC given and the project folder (with reports/) was not found") }()
            guard FileManager.default.fileExists(atPath: specPath) else { throw CLIError("\(specPath): report specification does not exist") }
            let loaded = try ReportSpec.load(file: specPath)
            guard let templates = root.map({ "\($0)/templates" }) else {
                throw CLIError("the project's templates/ folder was not found; set HEADMAPS_HOME to the project folder")
            }
            let output = out ?? "\(loaded.directory)/\(loaded.name)"
            var command = "headmaps report \(spec ?? "")".trimmingCharacters(in: .whitespaces)
            if let model { command += " --model \(model)" }
            var builder = ReportBuilder(spec: loaded, outputDirectory: output, templatesDirectory: templates,
                                        reproduceCommand: command, toolVersion: HeadMapsVersion.string)
            builder.projectRoot = root
            builder.modelOverride = model
            builder.log = progress.log
            builder.progress = { done, total in progress.update("scoring", done: done, of: total) }
            _ = try builder.build()
        }
    }
}
