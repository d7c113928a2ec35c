import Analysis
import ArgumentParser
import Foundation
import Report

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run a report specification: scores, figures, statistics and a Markdown + HTML report.",
        discussion: """
        With no SPEC, runs reports/default.yaml: the committed demo fixture. The report goes to \
        reports/<spec name>/ (report.md, report.html, figures/*.png|pdf, scores.json), written to a \
        temporary folder and moved into place only when complete. \
        Presets: reports/gpt2-medium-paper.yaml, reports/gpt2-small-wang.yaml, reports/overview.yaml. \
        Models named by a Hugging Face id are read from the local cache (HF_HUB_CACHE, HF_HOME/hub, \
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

    @Option(name: .long, help: "Compare the fresh figures and scores with the golden copies in this folder; exit 0 only when all match.")
    var check: String?

    @Flag(name: .long, help: "With --check: rewrite the golden copies from this run instead of comparing.")
    var update = false

    @Option(name: .long, help: "With --check: largest RMS difference of a figure that still matches.")
    var tolerance: Double = 2.0

    func validate() throws {
        if update && check == nil { throw ValidationError("--update needs --check DIR (the golden folder to rewrite)") }
    }

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
            var words = ["headmaps", "report"] + (spec.map { [$0] } ?? [])
            if let model { words += ["--model", model] }
            let command = ShellWords.join(words)
            var builder = ReportBuilder(spec: loaded, outputDirectory: output, templatesDirectory: templates,
                                        reproduceCommand: command, toolVersion: HeadMapsVersion.string)
            builder.projectRoot = root
            builder.modelOverride = model
            if let check { builder.protected.append(ReportDirectory.Protected(check, role: "the golden folder of --check")) }
            builder.log = progress.log
            builder.progress = { done, total in progress.update("scoring", done: done, of: total) }
            let written = try builder.build()
            guard let golden = check else { return }
            if update {
                let files = try GoldenCheck.update(report: written.directory, golden: golden)
                print("updated \(files.count) golden files in \(golden): \(files.joined(separator: ", "))")
                return
            }
            let rows = try GoldenCheck.check(report: written.directory, golden: golden, tolerance: tolerance,
                                             diffDirectory: written.directory + "-check")
            print(GoldenCheck.table(rows))
            if rows.contains(where: { !$0.matches }) { throw ExitCode(1) }
        }
    }
}
