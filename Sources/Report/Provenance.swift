import Analysis
import Core
import Foundation
import LinearAlgebra
import Plot

/// Where a report came from: every input by SHA-256, the settings, the
/// versions of everything that draws or computes, and the project's commit.
public struct Provenance {
    public let manifest: Manifest
    /// Facts of this machine and checkout (the git commit, the CPU kernel
    /// OpenBLAS picked, the OS): recorded in `environment.json`, kept out of
    /// the manifest and the report so that those do not change between machines.
    public let environment: [(String, String)]

    /// - Parameters:
    ///   - templates: the template files, in a stable order.
    ///   - display: how a path is shown (relative to the project where it lies inside it).
    public init(
        context run: ReportContext, templates: [String], toolVersion: String, projectRoot: String?,
        display: (String) -> String
    ) throws {
        var manifest = Manifest()
        for member in run.members {
            for path in member.descriptionFiles {
                try manifest.addInput(role: "model", file: path, shownAs: display(path))
            }
            for file in member.weightFiles {
                try manifest.addInput(role: "weights", file: file, shownAs: display(file))
            }
        }
        for relation in run.analysis.request.relations {
            try manifest.addInput(
                role: "relation", file: relation.origin,
                shownAs: relation.isBuiltin ? "builtin:\(relation.name).json" : display(relation.origin))
        }
        for input in run.spec.partInputs {
            try manifest.addInput(role: input.role, file: input.path, shownAs: display(input.path))
        }
        try manifest.addInput(role: "specification", file: run.spec.file, shownAs: display(run.spec.file))
        for path in templates { try manifest.addInput(role: "template", file: path, shownAs: display(path)) }
        manifest.settings =
            run.analysis.tokenized.map { ("k.\($0.relation.name)", String($0.k)) }
            + [
                ("k_rule", run.analysis.tokenized.first?.kRule ?? run.analysis.model.defaultK.rule),
                ("sources", run.spec.sourceRule.rawValue), ("min_pairs", String(run.spec.minimumPairs)),
            ]
            + ScoringSettings.recorded + ReportSettings.recorded
        let versions = Figure.libraryVersions
        let openblas = BLAS.configuration.trimmingCharacters(in: .whitespaces)
        manifest.software = [
            ("headmaps", toolVersion),
            ("cairo", versions.cairo),
            ("pango", versions.pango),
            // "OpenBLAS 0.3.21": the version; the rest of the string names this machine's CPU.
            ("openblas", openblas.split(separator: " ").prefix(2).joined(separator: " ")),
        ]
        self.manifest = manifest
        environment = [
            ("git_commit", projectRoot.flatMap(Provenance.gitCommit) ?? "unknown"),
            ("openblas_configuration", openblas),
            ("processors", String(ProcessInfo.processInfo.activeProcessorCount)),
            ("operating_system", ProcessInfo.processInfo.operatingSystemVersionString),
        ]
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

extension Provenance {
    /// `environment.json`, keys in a fixed order.
    public var environmentJSON: String {
        "{\n" + environment.map { "  \(JSONString.quoted($0.0)): \(JSONString.quoted($0.1))" }.joined(separator: ",\n")
            + "\n}\n"
    }
}
