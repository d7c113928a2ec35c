import Core
import Analysis
import Foundation
import Plot

/// Compares a fresh report's figures and scores with golden copies: the
/// check a pull request's CI runs, and the way goldens are deliberately updated.
public enum GoldenCheck {
    public struct Row: Sendable {
        public let file: String
        public let matches: Bool
        public let detail: String
    }

    /// The files a golden set holds: every PNG figure and the scores.
    public static func checkedFiles(in directory: String) -> [String] {
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/figures")) ?? [])
            .filter { $0.hasSuffix(".png") }.sorted().map { "figures/" + $0 }
        return figures + (FileManager.default.fileExists(atPath: directory + "/scores.json") ? ["scores.json"] : [])
    }

    /// Compares `report` against `golden`; diff images for failures go to `diffDirectory`.
    public static func check(report: String, golden: String, tolerance: Double, diffDirectory: String) throws -> [Row] {
        let files = Array(Set(checkedFiles(in: report) + checkedFiles(in: golden))).sorted()
        guard !files.isEmpty else { throw ReportError.noGoldens(folder: golden) }
        return try files.map { file in
            let actual = "\(report)/\(file)", expected = "\(golden)/\(file)"
            guard FileManager.default.fileExists(atPath: expected) else {
                return Row(file: file, matches: false, detail: "no golden copy (run with --update to add it)")
            }
            guard FileManager.default.fileExists(atPath: actual) else {
                return Row(file: file, matches: false, detail: "the report no longer produces it")
            }
            if file.hasSuffix(".json") {
                let comparison = ScoresComparison(actual: try ScoresDocument.read(path: actual), expected: try ScoresDocument.read(path: expected))
                return Row(file: file, matches: comparison.matches, detail: comparison.summary)
            }
            let outcome = try compareImages(actual: actual, expected: expected, tolerance: tolerance, diffDirectory: diffDirectory)
            return Row(file: file, matches: outcome.matches, detail: outcome.detail)
        }
    }

    /// Copies the report's figures and scores over the goldens.
    public static func update(report: String, golden: String) throws -> [String] {
        let files = checkedFiles(in: report)
        for file in files {
            let data = try InputFile.read("\(report)/\(file)", kind: "report output", limit: InputFile.Limit.scores)
            try AtomicFile.write(data, to: "\(golden)/\(file)")
        }
        return files
    }

    /// PNG against PNG by RMS; on failure writes `<name>-actual.png`,
    /// `-expected.png`, `-diff.png` (×10) and `-side-by-side.png`.
    public static func compareImages(actual: String, expected: String, tolerance: Double, diffDirectory: String) throws -> (matches: Bool, detail: String) {
        let a = try RasterImage.decode(InputFile.read(actual, kind: "PNG figure", limit: InputFile.Limit.png), path: actual)
        let e = try RasterImage.decode(InputFile.read(expected, kind: "PNG figure", limit: InputFile.Limit.png), path: expected)
        let comparison = ImageComparison(actual: a, expected: e)
        if comparison.passes(tolerance: tolerance) {
            return (true, String(format: "RMS %.3f ≤ %.1f", comparison.rms, tolerance))
        }
        let stem = ((actual as NSString).lastPathComponent as NSString).deletingPathExtension
        let base = "\(diffDirectory)/\(stem)"
        try AtomicFile.write(a.pngData(), to: base + "-actual.png")
        try AtomicFile.write(e.pngData(), to: base + "-expected.png")
        try AtomicFile.write(comparison.diffImage().pngData(), to: base + "-diff.png")
        if a.width + e.width + max(a.width, e.width) + 16 <= FigureLimits.pixelsPerSide {
            try AtomicFile.write(comparison.sideBySide().pngData(), to: base + "-side-by-side.png")
        }
        let what = comparison.sizeMismatch
            ? "size \(a.width)×\(a.height), expected \(e.width)×\(e.height)"
            : String(format: "RMS %.3f > %.1f, %d pixels differ", comparison.rms, tolerance, comparison.differingPixels)
        return (false, "\(what); see \(base)-side-by-side.png")
    }

    public static func table(_ rows: [Row]) -> String {
        let width = max(4, rows.map(\.file.count).max() ?? 0)
        var lines = ["file".padding(toLength: width, withPad: " ", startingAt: 0) + "  result   detail"]
        for r in rows {
            let detail = r.detail.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width + 11))
            lines.append(r.file.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (r.matches ? "match  " : "DIFFERS") + "  " + detail)
        }
        let failed = rows.filter { !$0.matches }.count
        lines.append(failed == 0 ? "all \(rows.count) files match" : "\(failed) of \(rows.count) files differ")
        return lines.joined(separator: "\n")
    }
}
