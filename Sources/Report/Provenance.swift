import Analysis
import Foundation
import LinearAlgebra
import Plot

/// Where a report came from: every input by SHA-256, the settings, the
/// versions of everything that draws or computes, and the project's commit.
public struct Provenance {
    public let manifest: Manifest

    /// - Parameters:
    ///   - templates: the template files, in a stable order.
    ///   - display: how a path is shown (relative to the project where it lies inside it).
    public init(run: ReportRun, templates: [String], toolVersion: String, projectRoot: String?, display: (String) -> String) throws {
        var manifest = Manifest()
        for path in run.analysis.loaded.descriptionFiles { try manifest.addInput(role: "model", file: path, shownAs: display(path)) }
        for file in run.analysis.checkpoint.files { try manifest.addInput(role: "weights", file: file.path, shownAs: display(file.path)) }
        for relation in run.analysis.request.relations {
            try manifest.addInput(role: "relation", file: relation.origin,
                                  shownAs: relation.isBuiltin ? "builtin:\(relation.name).json" : display(relation.origin))
        }
        for m in run.spec.markerFiles { try manifest.addInput(role: "markers", file: m, shownAs: display(m)) }
        try manifest.addInput(role: "specification", file: run.spec.file, shownAs: display(run.spec.file))
        for path in templates { try manifest.addInput(role: "template", file: path, shownAs: display(path)) }
        manifest.settings = run.analysis.tokenized.map { ("k.\($0.relation.name)", String($0.k)) }
            + [("min_pairs", String(run.spec.minimumPairs))] + ScoringSettings.recorded + ReportSettings.recorded
        let versions = Figure.libraryVersions
        manifest.software = [
            ("headmaps", toolVersion),
            ("git_commit", projectRoot.flatMap(Provenance.gitCommit) ?? "unknown"),
            ("cairo", versions.cairo),
            ("pango", versions.pango),
            ("openblas", BLAS.configuration.trimmingCharacters(in: .whitespaces)),
        ]
        self.manifest = manifest
    }

    /// The project's commit, "-dirty" when the tree has changes; nil outside git.
    static func gitCommit(root: String) -> String? {
        func git(_ args: [String]) -> String? {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["git", "-C", root] + args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return nil }
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return p.terminationStatus == 0 ? out.trimmingCharacters(in: .whitespacesAndNewlines) : nil
        }
        guard let head = git(["rev-parse", "HEAD"]) else { return nil }
        let dirty = !(git(["status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty
        return head + (dirty ? "-dirty" : "")
    }
}
