import Analysis
import Core
import Foundation
import Plot
import Report

/// The merged sweep's report: per relation, each model's best score at its
/// last revision; a figure per relation and model of the scores of the heads
/// that end highest against the training step, beside the layer × head map of
/// the revision at which each head first reaches the threshold; those first
/// crossings as a table; and the heads whose score changes most between
/// consecutive revisions.
public struct SweepReport {
    public let merge: SweepMerge

    public init(_ merge: SweepMerge) { self.merge = merge }

    public struct Output {
        public var markdown: String
        /// `figures/<name>.png|pdf|svg`
        public var figures: [(name: String, png: Data, pdf: Data, svg: Data)]
    }

    public func make() throws -> Output {
        let spec = merge.spec
        let models = merge.models
        let threshold = String(format: "%g", spec.threshold)
        var md = "# Sweep: \(MarkdownText.escape(spec.name))\n\n"
        let modelList = models.map {
            "\(MarkdownText.codeSpan($0.name)), \($0.entries.count) revision\($0.entries.count == 1 ? "" : "s")"
        }.joined(separator: "; ")
        md +=
            "\(merge.entries.count) shards merged: \(models.count) model\(models.count == 1 ? "" : "s") "
            + "(\(modelList)), "
            + "every one scored with the same relations and settings "
            + "(k: \(spec.scoring.k.map(String.init) ?? "the family's"), sources: \(spec.scoring.sourceRule.rawValue), "
            + "at least \(spec.scoring.minimumPairs) single-token pairs). "
            + "A head counts as formed from a score of \(threshold).\n\n"
        if !merge.missing.isEmpty {
            md +=
                "Merged with `--partial`: \(merge.missing.count) shard\(merge.missing.count == 1 ? "" : "s") "
                + "not done and left out: \(merge.missing.map(MarkdownText.codeSpan).joined(separator: ", ")).\n\n"
        }
        md += "## Best score per relation\n\nEach model's best head at its last revision.\n\n"
        md += "| relation | " + models.map { MarkdownText.escape($0.name) }.joined(separator: " | ") + " |\n"
        md += "|---|" + String(repeating: "---|", count: models.count) + "\n"
        for relation in merge.relations {
            let cells = models.map { model -> String in
                guard let entry = model.entries.last,
                    let scores = entry.document.relation(named: relation.name), !scores.skipped
                else { return "skipped" }
                guard let best = ScoreOrder.ordered(scores.scores).first, best.score > 0 else { return "0" }
                return String(format: "%.2f", best.score)
                    + " (\(best.head), \(MarkdownText.escape(model.revisions.last!)))"
            }
            md += "| \(MarkdownText.escape(relation.title)) | " + cells.joined(separator: " | ") + " |\n"
        }
        var figures: [(String, Data, Data, Data)] = []
        for relation in merge.relations {
            md += "\n## \(MarkdownText.escape(relation.title))\n\n"
            var crossings: [String] = []
            var changes: [(model: String, head: HeadIndex, from: String, to: String, delta: Double)] = []
            for model in models {
                let maps = model.maps(relation.name)
                guard let last = maps.last(where: { $0 != nil }) ?? nil, let shape = HeadValues.shape(maps) else {
                    continue
                }
                if maps.count > 1,
                    let figure = TrainingFigure.make(
                        title: "\(relation.title): \(model.name)", labels: model.revisions, maps: maps,
                        threshold: spec.threshold, heads: spec.headsPlotted, rankedBy: last)
                {
                    let name = "\(relation.name)--\(SweepPlan.Shard.component(model.name))"
                    figures.append(
                        (
                            name, try figure.pngData(dpi: ReportSettings.defaultDPI), try figure.pdfData(),
                            try figure.svgData()
                        ))
                    md +=
                        "![\(MarkdownText.escape(relation.title)) across training: \(MarkdownText.escape(model.name))]"
                        + "(figures/\(name).png)\n\n"
                }
                let first = HeadValues.firstReaching(maps, threshold: spec.threshold, layers: shape.0, heads: shape.1)
                for (head, at) in HeadValues.crossings(first, members: maps.count) {
                    guard let then = maps[at] else { continue }
                    crossings.append(
                        "| \(MarkdownText.escape(model.name)) | \(head) | \(MarkdownText.escape(model.revisions[at])) "
                            + "| "
                            + String(format: "%.2f | %.2f |", then[head.layer][head.head], last[head.layer][head.head]))
                }
                let heads = (0..<shape.0).flatMap { l in (0..<shape.1).map { HeadIndex(layer: l, head: $0) } }
                for j in maps.indices.dropFirst() {
                    guard let before = maps[j - 1], let after = maps[j] else { continue }
                    for head in heads {
                        let delta = after[head.layer][head.head] - before[head.layer][head.head]
                        if delta != 0 {
                            changes.append(
                                (model.name, head, model.revisions[j - 1], model.revisions[j], delta))
                        }
                    }
                }
            }
            if crossings.isEmpty {
                md += "No head reaches \(threshold) in any revision.\n"
            } else {
                md += "Heads that reach \(threshold), by the revision at which they first do:\n\n"
                md += "| model | head | first at | score then | last score |\n|---|---|---|---:|---:|\n"
                md += crossings.joined(separator: "\n") + "\n"
            }
            let largest = changes.enumerated().sorted {
                (-abs($0.element.delta), $0.offset) < (-abs($1.element.delta), $1.offset)
            }.prefix(5).map(\.element)
            if !largest.isEmpty {
                md += "\nThe largest changes between consecutive revisions:\n\n"
                md += "| model | head | from | to | change |\n|---|---|---|---|---:|\n"
                for c in largest {
                    md +=
                        "| \(MarkdownText.escape(c.model)) | \(c.head) | \(MarkdownText.escape(c.from)) | "
                        + "\(MarkdownText.escape(c.to)) | \(String(format: "%+.2f", c.delta)) |\n"
                }
            }
        }
        return Output(markdown: md, figures: figures)
    }

    /// Writes `sweep.json`, `sweep.csv` and `report/` (built beside it and
    /// swapped in whole: a merge never leaves a report half old, half new).
    public static func write(_ merge: SweepMerge, to folder: SweepFolder) throws -> [String] {
        let output = try SweepReport(merge).make()
        let staging = folder.path + "/.report.partial-\(getpid())"
        let report = folder.path + "/report"
        try? FileManager.default.removeItem(atPath: staging)
        Interruption.register(staging)
        defer { Interruption.unregister(staging) }
        try FileManager.default.createDirectory(atPath: staging + "/figures", withIntermediateDirectories: true)
        try Data(output.markdown.utf8).write(to: URL(fileURLWithPath: staging + "/report.md"))
        for figure in output.figures {
            for (ext, data) in [("png", figure.png), ("pdf", figure.pdf), ("svg", figure.svg)] {
                try data.write(to: URL(fileURLWithPath: staging + "/figures/\(figure.name).\(ext)"))
            }
        }
        try AtomicFile.write(Data(merge.json().utf8), to: folder.path + "/sweep.json")
        try AtomicFile.write(Data(merge.csv().utf8), to: folder.path + "/sweep.csv")
        let old = folder.path + "/.report.old-\(getpid())"
        try Interruption.critical {
            if FileType.status(report) != nil { try FileManager.default.moveItem(atPath: report, toPath: old) }
            try FileManager.default.moveItem(atPath: staging, toPath: report)
            Interruption.completed(report)
        }
        try? FileManager.default.removeItem(atPath: old)
        return ["sweep.json", "sweep.csv", "report/report.md"] + output.figures.map { "report/figures/\($0.name).png" }
    }
}
