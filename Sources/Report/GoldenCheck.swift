import Analysis
import Core
import Foundation
import Plot

/// Compares a fresh report's figures, scores and text with golden copies: the
/// check a pull request's CI runs, and the way goldens are deliberately updated.
public enum GoldenCheck {
    public struct Row: Sendable {
        public let file: String
        public let matches: Bool
        public let detail: String
        /// Files written for a reviewer (diff images, a unified diff), if any.
        public var artifacts: [String] = []
        /// Per relation, the heads that changed and by how many pairs (scores only).
        public var scoreChanges: [String] = []
    }

    /// The files a golden set holds: every PNG figure, the scores, and the
    /// report's text (figures by RMS, the rest exactly).
    public static func checkedFiles(in directory: String) -> [String] {
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/figures")) ?? [])
            .filter { $0.hasSuffix(".png") }.sorted().map { "figures/" + $0 }
        return figures
            + ["scores.json", "report.md"].filter { FileManager.default.fileExists(atPath: "\(directory)/\($0)") }
    }

    /// The file that marks a diffs folder as written by a failing check, so
    /// that a later passing check removes that folder and no other.
    public static let diffFolderMark = ".headmaps-check"

    /// Throws unless `folder` is absent, empty, or a diffs folder a check wrote.
    public static func checkDiffFolder(_ folder: String) throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            if FileType.status(folder) != nil {
                throw ReportError.foreignDiffFolder(
                    path: folder, found: FileType.describe(mode: FileType.status(folder)!.st_mode))
            }
            return
        }
        guard entries.isEmpty || entries.contains(diffFolderMark) else {
            throw ReportError.foreignDiffFolder(
                path: folder, found: "a folder HeadMaps did not write (it has no \(diffFolderMark))")
        }
    }

    /// Marks `folder`, where a failing check wrote its diffs.
    public static func markDiffFolder(_ folder: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: (folder as NSString).appendingPathComponent(diffFolderMark), contents: Data())
    }

    /// Removes `folder` if a failing check wrote it; whether it did.
    public static func removeDiffFolder(_ folder: String) -> Bool {
        guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(diffFolderMark)) else {
            return false
        }
        return (try? FileManager.default.removeItem(atPath: folder)) != nil
    }

    /// Compares `report` against `golden`; diffs for failures go to `diffDirectory`.
    public static func check(report: String, golden: String, tolerance: Double, diffDirectory: String) throws -> [Row] {
        guard !checkedFiles(in: golden).isEmpty else { throw ReportError.noGoldens(folder: golden) }
        let files = Array(Set(checkedFiles(in: report) + checkedFiles(in: golden))).sorted()
        return try files.map { file in
            let actual = "\(report)/\(file)"
            let expected = "\(golden)/\(file)"
            guard FileManager.default.fileExists(atPath: expected) else {
                return Row(file: file, matches: false, detail: "no golden copy (run with --update to add it)")
            }
            guard FileManager.default.fileExists(atPath: actual) else {
                return Row(
                    file: file, matches: false,
                    detail: "the report no longer produces it (--update removes the golden copy)")
            }
            if file.hasSuffix(".json") {
                let comparison = ScoresComparison(
                    actual: try ScoresDocument.read(path: actual), expected: try ScoresDocument.read(path: expected))
                return Row(
                    file: file, matches: comparison.matches, detail: comparison.summary, scoreChanges: comparison.lines)
            }
            if file.hasSuffix(".md") {
                return try compareText(file: file, actual: actual, expected: expected, diffDirectory: diffDirectory)
            }
            let outcome = try compareImages(
                actual: actual, expected: expected, tolerance: tolerance, diffDirectory: diffDirectory)
            return Row(file: file, matches: outcome.matches, detail: outcome.detail, artifacts: outcome.artifacts)
        }
    }

    /// Text must match exactly; a mismatch writes `<file>.diff` (unified).
    static func compareText(file: String, actual: String, expected: String, diffDirectory: String) throws -> Row {
        let a = try InputFile.text(actual, kind: "report text", limit: InputFile.Limit.scores)
        let e = try InputFile.text(expected, kind: "golden report text", limit: InputFile.Limit.scores)
        guard a != e else { return Row(file: file, matches: true, detail: "identical") }
        let diff = TextDiff.unified(
            expected: e, actual: a, expectedName: "golden/\(file)", actualName: "report/\(file)")
        let path = "\(diffDirectory)/\((file as NSString).lastPathComponent).diff"
        try AtomicFile.write(Data(diff.utf8), to: path)
        let changed = diff.split(separator: "\n").dropFirst(2).filter { $0.hasPrefix("+") || $0.hasPrefix("-") }
        let shown = diff.split(separator: "\n", omittingEmptySubsequences: false).prefix(16).joined(separator: "\n")
        return Row(
            file: file, matches: false, detail: "\(changed.count) lines differ; unified diff in \(path):\n\(shown)",
            artifacts: [path])
    }

    /// Makes the goldens exactly what the report produces: copies its
    /// figures, scores and text, and removes golden files it no longer makes.
    public static func update(report: String, golden: String) throws -> (written: [String], removed: [String]) {
        let files = checkedFiles(in: report)
        for file in files {
            let data = try InputFile.read("\(report)/\(file)", kind: "report output", limit: InputFile.Limit.scores)
            try AtomicFile.write(data, to: "\(golden)/\(file)")
        }
        let orphans = checkedFiles(in: golden).filter { !files.contains($0) }
        for orphan in orphans { try FileManager.default.removeItem(atPath: "\(golden)/\(orphan)") }
        return (files, orphans)
    }

    /// PNG against PNG by RMS; on failure writes `<name>-actual.png`,
    /// `-expected.png`, `-diff.png` (×10) and `-side-by-side.png`.
    public static func compareImages(
        actual: String, expected: String, tolerance: Double, diffDirectory: String
    ) throws -> (matches: Bool, detail: String, artifacts: [String]) {
        let a = try RasterImage.decode(
            InputFile.read(actual, kind: "PNG figure", limit: InputFile.Limit.png), path: actual)
        let e = try RasterImage.decode(
            InputFile.read(expected, kind: "PNG figure", limit: InputFile.Limit.png), path: expected)
        let comparison = ImageComparison(actual: a, expected: e)
        if comparison.passes(tolerance: tolerance) {
            return (true, String(format: "RMS %.3f ≤ %.1f", comparison.rms, tolerance), [])
        }
        let stem = ((actual as NSString).lastPathComponent as NSString).deletingPathExtension
        // A bare file name's folder is the current one, never the root.
        let base = ((diffDirectory.isEmpty ? "." : diffDirectory) as NSString).appendingPathComponent(stem)
        let outputs = ["-actual.png", "-expected.png", "-diff.png", "-side-by-side.png"].map { base + $0 }
        try OutputGuard.check(
            outputs.map { OutputGuard.Output($0, option: "a diff image") },
            inputs: [.init(actual, role: "the fresh image"), .init(expected, role: "the golden image")])
        try AtomicFile.write(a.pngData(), to: base + "-actual.png")
        try AtomicFile.write(e.pngData(), to: base + "-expected.png")
        try AtomicFile.write(comparison.diffImage().pngData(), to: base + "-diff.png")
        var artifacts = [base + "-actual.png", base + "-expected.png", base + "-diff.png"]
        if let side = comparison.sideBySide() {
            try AtomicFile.write(side.pngData(), to: base + "-side-by-side.png")
            artifacts.append(base + "-side-by-side.png")
        }
        let what =
            comparison.sizeMismatch
            ? "size \(a.width)×\(a.height), expected \(e.width)×\(e.height)"
            : String(format: "RMS %.3f > %.1f, %d pixels differ", comparison.rms, tolerance, comparison.differingPixels)
        return (false, "\(what); see \(artifacts.last!)", artifacts)
    }

    public static func table(_ rows: [Row]) -> String {
        let width = max(4, rows.map(\.file.count).max() ?? 0)
        var lines = ["file".padding(toLength: width, withPad: " ", startingAt: 0) + "  result   detail"]
        for r in rows {
            let detail = r.detail.replacingOccurrences(of: "\n", with: "\n" + String(repeating: " ", count: width + 11))
            lines.append(
                r.file.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + (r.matches ? "match  " : "DIFFERS") + "  " + detail)
        }
        let failed = rows.filter { !$0.matches }.count
        lines.append(failed == 0 ? "all \(rows.count) files match" : "\(failed) of \(rows.count) files differ")
        return lines.joined(separator: "\n")
    }
}
