import Analysis
import ArgumentParser
import Core
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

            With --check GOLDEN the fresh report is written to a temporary folder (unless --out is given) \
            and compared with the goldens: figures by RMS, scores.json per head, report.md exactly. \
            Diffs of a mismatch go to <report>-check/; a later passing check removes that folder. \
            Exit status: 0 all match, 1 something differs, 2 an error (bad input, missing files), \
            130 interrupted.
            """)

    @Argument(help: "A report specification (YAML). Default: reports/default.yaml.")
    var spec: String?

    @Option(name: .long, help: "Use this model (a directory or a Hugging Face id) instead of the spec's.")
    var model: String?

    @Option(name: .long, help: "Output folder. Default: reports/<spec name>/ beside the spec.")
    var out: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @Option(
        name: .long,
        help: "Compare the fresh figures and scores with the golden copies in this folder; exit 0 only when all match.")
    var check: String?

    @Flag(name: .long, help: "With --check: rewrite the golden copies from this run instead of comparing.")
    var update = false

    @Option(name: .long, help: "With --check: largest RMS difference of a figure that still matches.")
    var tolerance: Double = 2.0

    @Option(
        name: .long,
        help: "With --check: also write a short Markdown summary (for a pull-request comment) to this file.")
    var summary: String?

    @Option(name: .long, help: "With --check: also write JUnit XML (one test case per checked file) to this file.")
    var junit: String?

    func validate() throws {
        if update && check == nil { throw ValidationError("--update needs --check DIR (the golden folder to rewrite)") }
        if (summary != nil || junit != nil) && check == nil {
            throw ValidationError("--summary and --junit need --check DIR")
        }
    }

    func run() throws {
        try reportingErrors {
            let progress = Progress(quiet: quiet)
            let root = ProjectFiles.root
            var specPath =
                try spec ?? root.map { "\($0)/reports/default.yaml" }
                ?? { throw CLIError("no SPEC given and the project folder (with reports/) was not found") }()
            // A spec named relative to the project (as a report's Reproduce line names it) works from any folder.
            if let root, !specPath.hasPrefix("/"), !FileManager.default.fileExists(atPath: specPath),
                FileManager.default.fileExists(atPath: "\(root)/\(specPath)")
            {
                specPath = "\(root)/\(specPath)"
            }
            guard FileManager.default.fileExists(atPath: specPath) else {
                throw CLIError("\(specPath): report specification does not exist")
            }
            let loaded = try ReportSpec.load(file: specPath)
            guard let templates = root.map({ "\($0)/templates" }) else {
                throw CLIError("the project's templates/ folder was not found; set HEADMAPS_HOME to the project folder")
            }
            // A check never touches the committed report: it writes to a temporary folder.
            let scratch =
                check != nil && out == nil
                ? NSTemporaryDirectory() + "headmaps-check-\(getpid())" : nil
            let output = out ?? scratch.map { "\($0)/\(loaded.name)" } ?? "\(loaded.directory)/\(loaded.name)"
            defer { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
            // Diffs of a mismatch sit beside the report the user knows: --out, or the spec's default.
            let diffs = (out ?? "\(loaded.directory)/\(loaded.name)") + "-check"
            if let check {
                try OutputGuard.check(
                    [
                        summary.map { OutputGuard.Output($0, option: "--summary") },
                        junit.map { OutputGuard.Output($0, option: "--junit") },
                    ].compactMap { $0 },
                    inputs: [
                        .init(loaded.file, role: "the report specification"),
                        .init(check, role: "the golden folder of --check"),
                        .init(output, role: "the report folder"), .init(diffs, role: "the diffs folder"),
                    ]
                        + loaded.partInputs.map { .init($0.path, role: $0.description) })
                if !update { try GoldenCheck.checkDiffFolder(diffs) }
            }
            // The command as it reads from the project folder, whatever folder it was typed in:
            // outputs must not change with where the user stood.
            var words = ["headmaps", "report", Paths.display(specPath, relativeTo: root)]
            if let model {
                words += [
                    "--model",
                    FileManager.default.fileExists(atPath: model) ? Paths.display(model, relativeTo: root) : model,
                ]
            }
            let command = ShellWords.join(words)
            var builder = ReportBuilder(
                spec: loaded, outputDirectory: output, templatesDirectory: templates,
                reproduceCommand: command, toolVersion: HeadMapsVersion.string)
            builder.projectRoot = root
            builder.modelOverride = model
            if let check {
                builder.protected.append(ReportDirectory.Protected(check, role: "the golden folder of --check"))
            }
            builder.log = progress.log
            builder.progress = { done, total in progress.update("scoring", done: done, of: total) }
            let written = try builder.build()
            guard let golden = check else { return }
            if update {
                let (files, removed) = try GoldenCheck.update(report: written.directory, golden: golden)
                print("updated \(files.count) golden files in \(golden): \(files.joined(separator: ", "))")
                if !removed.isEmpty {
                    print(
                        "removed \(removed.count) golden files the report no longer "
                            + "produces: \(removed.joined(separator: ", "))"
                    )
                }
                return
            }
            let rows = try GoldenCheck.check(
                report: written.directory, golden: golden, tolerance: tolerance, diffDirectory: diffs)
            print(GoldenCheck.table(rows))
            if let summary {
                try AtomicFile.write(
                    Data(GoldenCheck.markdownSummary(rows, golden: golden, report: output).utf8), to: summary)
            }
            if let junit {
                try AtomicFile.write(
                    Data(GoldenCheck.junit(rows, name: "headmaps.golden.\(loaded.name)").utf8), to: junit)
            }
            if rows.allSatisfy(\.matches) {
                if GoldenCheck.removeDiffFolder(diffs) {
                    progress.log("removed \(diffs), left by an earlier failing check")
                }
            } else {
                GoldenCheck.markDiffFolder(diffs)
                progress.log("diffs in \(diffs)")
            }
            if rows.contains(where: { !$0.matches }) { throw ExitCode(1) }
        }
    }
}
