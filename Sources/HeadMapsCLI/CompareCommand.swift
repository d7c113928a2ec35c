import Analysis
import ArgumentParser
import Foundation
import Report

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two PNG figures (RMS over 8-bit channels) or two scores files; exit 0 only when they match.",
        discussion: """
            PNG: the root-mean-square difference of all RGB channel values, as matplotlib's \
            compare_images computes it; a size mismatch fails. On failure, the actual, expected, \
            an amplified diff and a side-by-side image are written to --diff-dir. \
            JSON (headmaps.scores.v1): per relation, the largest score difference and the heads \
            that differ, by how many pairs; relations present in one file only.
            """)

    @Argument(help: "The fresh file.")
    var actual: String

    @Argument(help: "The golden file.")
    var expected: String

    @Option(name: .long, help: "Largest RMS that still matches (images).")
    var tolerance: Double = 2.0

    @Option(name: .long, help: "Where diff images go. Default: beside ACTUAL.")
    var diffDir: String?

    @Flag(name: .long, help: "No progress output (this command writes none; accepted as by every command).")
    var quiet = false

    func validate() throws {
        guard tolerance.isFinite, tolerance >= 0 else {
            throw ValidationError("--tolerance must be a finite number of at least 0, not \(tolerance)")
        }
    }

    func run() throws {
        var matches = false
        try reportingErrors {
            for path in [actual, expected] where !FileManager.default.fileExists(atPath: path) {
                throw CLIError("\(path) does not exist")
            }
            switch (actual as NSString).pathExtension.lowercased() {
            case "png":
                let outcome = try GoldenCheck.compareImages(
                    actual: actual, expected: expected, tolerance: tolerance,
                    diffDirectory: diffDir ?? (actual as NSString).deletingLastPathComponent)
                matches = outcome.matches
                print("\(matches ? "match" : "DIFFERS"): \(outcome.detail)")
            case "json":
                let comparison = ScoresComparison(
                    actual: try ScoresDocument.read(path: actual), expected: try ScoresDocument.read(path: expected))
                matches = comparison.matches
                print("\(matches ? "match" : "DIFFERS"): \(comparison.summary)")
            default:
                throw CLIError("\(actual): compare takes .png figures or .json scores files")
            }
        }
        if !matches { throw ExitCode(1) }
    }
}
