import Analysis
import Core
import Foundation
import LinearAlgebra
import Mustache
import Plot

/// Runs a report specification end to end: analysis, figures, statistics,
/// observations, Markdown and HTML. Everything is written to a temporary
/// folder beside the destination and moved into place only when complete.
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
        let modelReference = modelOverride ?? spec.model
        let modelPath = try ModelLocator.resolve(modelReference, relativeTo: modelOverride == nil ? spec.directory : FileManager.default.currentDirectoryPath)
        let request = ModelAnalysis.Request(modelPath: modelPath, relations: try spec.relationsToScore(), k: spec.k, minimumPairs: spec.minimumPairs)
        let analysis = try ModelAnalysis(request, log: log, progress: progress)
        var document = analysis.document
        document.source = display(modelPath)
        let shape = document.shape

        var files: [String: Data] = ["scores.json": Data(document.encoded().utf8)]
        var figureEntries: [[String: Any]] = []
        var explicitPanels: [PanelSpec] = []
        for figureSpec in spec.figures {
            let figure: Figure
            if let panelSpecs = figureSpec.panels {
                let panels = try panelSpecs.map { try $0.panel(from: document, modelName: spec.modelName) }
                figure = Figure(panels: panels, columns: figureSpec.columns)
                explicitPanels += panelSpecs
            } else {
                let panels = document.relations.filter { !$0.skipped }.map {
                    HeatmapPanel(title: $0.title, values: $0.scores, colorbarLabel: "score")
                }
                guard !panels.isEmpty else { continue }
                figure = Figure(panels: panels, columns: figureSpec.columns ?? min(ReportSettings.overviewColumns, panels.count),
                                       scale: ReportSettings.overviewScale)
            }
            log("rendering figures/\(figureSpec.name).png and .pdf")
            let png = try figure.pngData(dpi: figureSpec.dpi)
            files["figures/\(figureSpec.name).png"] = png
            files["figures/\(figureSpec.name).pdf"] = try figure.pdfData()
            figureEntries.append([
                "name": figureSpec.name,
                "png": "figures/\(figureSpec.name).png",
                "pdf": "figures/\(figureSpec.name).pdf",
                "dataURI": "data:image/png;base64," + png.base64EncodedString(),
                "caption": figureSpec.panels == nil ? "Overview: \(figure.panels.count) relations, one map each"
                    : figure.panels.map(\.title).joined(separator: " · "),
            ])
        }

        var manifest = try inputsManifest(analysis: analysis, modelPath: modelPath)
        let context = try makeContext(analysis: analysis, document: document, explicitPanels: explicitPanels,
                                      figures: figureEntries, modelReference: modelReference, modelPath: modelPath, manifest: manifest)
        files["report.md"] = Data(try render("report.md", MarkdownText.escaping(context) as! [String: Any]).utf8)
        files["report.html"] = Data(try render("report.html", context).utf8)
        manifest.outputs = files.keys.sorted().map { Manifest.Entry(role: "output", path: $0, bytes: files[$0]!.count, sha256: Manifest.sha256(files[$0]!)) }
        files["manifest.json"] = Data(manifest.encoded().utf8)
        var guarded = protected + [ReportDirectory.Protected(modelPath, role: "the model folder"),
                                   ReportDirectory.Protected(spec.file, role: "the report specification")]
        guarded += analysis.request.relations.filter { !$0.isBuiltin }.map { ReportDirectory.Protected($0.origin, role: "a relation file") }
        for figure in spec.figures {
            for panel in figure.panels ?? [] {
                if let m = panel.markers { guarded.append(ReportDirectory.Protected(m.source, role: "a marker set")) }
            }
        }
        try ReportDirectory.write(files, to: outputDirectory, protecting: guarded, log: log)
        log("wrote \(outputDirectory)/report.md, report.html, figures/, scores.json (\(shape.layers)×\(shape.heads) heads)")
        return Output(directory: outputDirectory, files: files.keys.sorted())
    }

    func render(_ name: String, _ context: [String: Any]) throws -> String {
        let path = "\(templatesDirectory)/\(name).mustache"
        let text = try InputFile.text(path, kind: "report template", limit: InputFile.Limit.yaml)
        do {
            return try MustacheTemplate(string: text).render(context)
        } catch {
            throw RelationError("\(path): template does not parse: \(error)")
        }
    }

    func display(_ path: String) -> String {
        guard let root = projectRoot.map({ ($0 as NSString).standardizingPath + "/" }) else { return path }
        let standard = (path as NSString).standardizingPath
        return standard.hasPrefix(root) ? String(standard.dropFirst(root.count)) : standard
    }

    // MARK: - Context

    /// Every input by SHA-256, the settings, and the software versions.
    func inputsManifest(analysis: ModelAnalysis, modelPath: String) throws -> Manifest {
        var manifest = Manifest()
        for path in analysis.loaded.descriptionFiles { try manifest.addInput(role: "model", file: path, shownAs: display(path)) }
        for file in analysis.checkpoint.files { try manifest.addInput(role: "weights", file: file.path, shownAs: display(file.path)) }
        for relation in analysis.request.relations {
            try manifest.addInput(role: "relation", file: relation.origin,
                                  shownAs: relation.isBuiltin ? "builtin:\(relation.name).json" : display(relation.origin))
        }
        var markerFiles: [String] = []
        for figure in spec.figures { for panel in figure.panels ?? [] { if let m = panel.markers?.source, !markerFiles.contains(m) { markerFiles.append(m) } } }
        for m in markerFiles { try manifest.addInput(role: "markers", file: m, shownAs: display(m)) }
        try manifest.addInput(role: "specification", file: spec.file, shownAs: display(spec.file))
        for t in ["report.md", "report.html"] {
            let path = "\(templatesDirectory)/\(t).mustache"
            try manifest.addInput(role: "template", file: path, shownAs: display(path))
        }
        manifest.settings = analysis.tokenized.map { ("k.\($0.relation.name)", String($0.k)) }
            + [("min_pairs", String(spec.minimumPairs))] + ScoringSettings.recorded + ReportSettings.recorded
        let versions = Figure.libraryVersions
        manifest.software = [
            ("headmaps", toolVersion),
            ("git_commit", gitCommit ?? "unknown"),
            ("cairo", versions.cairo),
            ("pango", versions.pango),
            ("openblas", BLAS.configuration.trimmingCharacters(in: .whitespaces)),
        ]
        return manifest
    }

    /// The project's commit, "-dirty" when the tree has changes; nil outside git.
    var gitCommit: String? {
        guard let root = projectRoot else { return nil }
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

    func makeContext(analysis: ModelAnalysis, document: ScoresDocument, explicitPanels: [PanelSpec],
                     figures: [[String: Any]], modelReference: String, modelPath: String, manifest: Manifest) throws -> [String: Any] {
        let shape = document.shape
        let modelName = spec.modelName.isEmpty ? (modelPath as NSString).lastPathComponent : spec.modelName
        let scored = document.relations.filter { !$0.skipped }
        let skipped = document.relations.filter(\.skipped)

        var observations: [String] = []
        var overlap: [[String: Any]] = []
        var seen = Set<String>()
        var markedByRelation: [String: Set<HeadIndex>] = [:]
        for panel in explicitPanels {
            guard let relation = document.relation(named: panel.relation) else { continue }
            let values = panel.suppression ? relation.suppression : relation.scores
            let label = panel.suppression ? "Suppression \(relation.title)" : relation.title
            if let markers = panel.markers, !panel.suppression { markedByRelation[relation.name, default: []].formUnion(markers.allHeads) }
            guard seen.insert("\(label)|\(panel.markers?.source ?? "")").inserted else { continue }
            observations += Observations.panel(title: label, values: values, markers: panel.markers)
            if let markers = panel.markers, !markers.allHeads.isEmpty {
                overlap.append(overlapEntry(label: label, values: values, markers: markers))
            }
        }
        var comparisons: [[String: Any]] = []
        let mainPanels = spec.figures.first(where: { ($0.panels?.count ?? 0) >= 2 })?.panels ?? []
        for (a, b) in zip(mainPanels, mainPanels.dropFirst()) {
            guard let ra = document.relation(named: a.relation), let rb = document.relation(named: b.relation),
                  !(a.relation == b.relation && a.suppression == b.suppression) else { continue }
            let n = max(a.markers?.allHeads.count ?? 0, b.markers?.allHeads.count ?? 0, ReportSettings.minimumComparedHeads)
            let ta = a.suppression ? "Suppression \(ra.title)" : ra.title, tb = b.suppression ? "Suppression \(rb.title)" : rb.title
            let c = Observations.comparison((ta, a.suppression ? ra.suppression : ra.scores), (tb, b.suppression ? rb.suppression : rb.scores), n: n)
            observations.append(c.sentence)
            comparisons.append(["a": ta, "b": tb, "n": n, "shared": c.shared,
                                "jaccard": String(format: "%.2f", c.jaccard),
                                "spearman": c.spearman.map { String(format: "%.2f", $0) } ?? "n/a"])
        }

        let relations: [[String: Any]] = scored.map { r in
            let marked = markedByRelation[r.name] ?? []
            // Heads that match at least one pair, best first; a map of zeros lists none.
            let top = ScoreOrder.ordered(r.scores).prefix(ReportSettings.topHeadsListed).filter { $0.score > 0 }.map { e -> [String: Any] in
                ["head": e.head.description, "score": String(format: "%.2f", e.score),
                 "suppression": String(format: "%.2f", r.suppression[e.head.layer][e.head.head]),
                 "marked": marked.contains(e.head) ? "yes" : ""]
            }
            return ["name": r.name, "title": r.title, "k": r.k, "kept": r.pairsKept, "total": r.pairsTotal,
                    "aboveHigh": r.scores.joined().filter { $0 >= ReportSettings.highScore }.count, "highScore": "\(ReportSettings.highScore)", "top": top, "hasTop": !top.isEmpty]
        }

        let summary = """
        HeadMaps scored each of the \(shape.layers * shape.heads) attention heads of \(modelName) \
        (\(shape.layers) layers × \(shape.heads) heads) for \(scored.count) relation\(scored.count == 1 ? "" : "s") \
        from its parameters alone, with the MAPS method (Elhelo & Geva, ACL 2025): a head's score is the fraction \
        of a relation's pairs whose target token is among the top-k logits when the head's OV circuit is applied to \
        the source token (k = 1 for copying relations, 10 otherwise); the suppression score uses the bottom-k.\
        \(skipped.isEmpty ? "" : " \(skipped.count) relation\(skipped.count == 1 ? " was" : "s were") skipped for too few single-token pairs.")
        """
        var provenance: [[String: String]] = [
            ["key": "Model", "value": modelReference == display(modelPath) ? modelReference : "\(modelReference) → \(display(modelPath))"],
            ["key": "Architecture", "value": "\(analysis.model.architecture), \(shape.layers) layers × \(shape.heads) heads, d_model \(shape.dModel), vocabulary \(shape.vocab)"],
        ]
        for entry in manifest.inputs where entry.role == "weights" || entry.role == "specification" || entry.role == "markers" {
            provenance.append(["key": entry.role.prefix(1).uppercased() + entry.role.dropFirst(),
                               "value": "\(entry.path), \(ByteCountFormatting.string(entry.bytes)), SHA-256 \(entry.sha256.prefix(16))…"])
        }
        provenance += [
            ["key": "Relations", "value": "\(document.relations.count) (\(scored.count) scored, \(skipped.count) skipped)"],
            ["key": "Settings", "value": "k = \(spec.k.map(String.init) ?? "1 for copying, 10 otherwise"); at least \(spec.minimumPairs) single-token pairs"],
            // Versions only: the full OpenBLAS string names the CPU, which would
            // make reports differ between machines; manifest.json has it all.
            ["key": "Software", "value": manifest.software.filter { $0.0 != "git_commit" }
                .map { "\($0.0) \($0.0 == "openblas" ? String($0.1.split(separator: " ").dropFirst().first ?? "") : $0.1)" }.joined(separator: "; ")],
            ["key": "Manifest", "value": "manifest.json lists every input and output with its SHA-256"],
        ]
        return [
            "title": spec.title,
            "summary": summary,
            "specSummary": spec.summary ?? "",
            "hasSpecSummary": spec.summary != nil,
            "figures": figures,
            "observations": observations,
            "hasObservations": !observations.isEmpty,
            "overlap": overlap,
            "hasOverlap": !overlap.isEmpty,
            "comparisons": comparisons,
            "hasComparisons": !comparisons.isEmpty,
            "relations": relations,
            "skipped": skipped.map { ["name": $0.name, "title": $0.title, "reason": $0.skipReason ?? ""] },
            "hasSkipped": !skipped.isEmpty,
            "reproduce": reproduceCommand,
            "provenance": provenance,
        ]
    }

    func overlapEntry(label: String, values: [[Double]], markers: MarkerSet) -> [String: Any] {
        let s = OverlapStatistics(values: values, marked: markers.allHeads)
        func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "n/a" }
        let classOf = Dictionary(markers.classes.flatMap { c in c.heads.map { ($0, c.label) } }, uniquingKeysWith: { a, _ in a })
        return [
            "relation": label,
            "markers": markers.classes.map(\.label).joined(separator: ", "),
            "citation": markers.citation,
            "approximate": markers.approximate,
            "marked": s.marked.map { ["head": $0.head.description, "class": classOf[$0.head] ?? "", "score": f($0.score), "rank": "\($0.rank) of \(s.totalHeads)"] },
            "metrics": [
                ["name": "Precision of the top \(s.topN.count) (N = marked heads)", "value": f(s.precisionAtN)],
                ["name": "Recall of the top \(s.topN.count)", "value": f(s.recallAtN)],
                ["name": "Precision at score ≥ \(f(s.threshold)) (\(s.aboveThreshold) heads)", "value": f(s.precisionAboveThreshold)],
                ["name": "Recall at score ≥ \(f(s.threshold))", "value": f(s.recallAboveThreshold)],
                ["name": "AUROC of the score as a detector of marked heads", "value": f(s.auroc)],
                ["name": "Hypergeometric p of the top-\(s.topN.count) overlap (\(s.overlapAtN) shared)", "value": String(format: "%.2g", s.hypergeometricP)],
            ],
        ]
    }

}

enum ByteCountFormatting {
    static func string(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit]) + " (\(bytes) bytes)"
    }
}
