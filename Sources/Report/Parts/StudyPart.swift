import Analysis
import Core
import Foundation
import Plot

/// A study's comparison of its models (`models:`) or of one model's training
/// revisions (`model:` with `revisions:`): per relation, each member's best
/// heads side by side; for revisions, a figure per relation of the scores
/// against the revision for the heads that score highest anywhere, beside a
/// layer × head map of the first revision at which each head reaches the
/// threshold (`study: {threshold: 0.5}`); `study.csv`, every member's scores
/// in one long table.
public struct StudyPart: ReportPart {
    public let name = "study"
    /// The score a head must reach to count as formed.
    public let threshold: Double
    /// Lines per relation in the scores-against-revision figure.
    public let headsPlotted: Int

    public static let kind = ReportPartKind(keys: ["study"]) { yaml, spec in
        let settings = try yaml.mapping("study")
        guard spec.members.count > 1 else {
            if settings != nil {
                throw yaml.error("study", "needs several models: give models: or model: with revisions:")
            }
            return nil
        }
        try settings?.allowKeys(["threshold", "heads"])
        let threshold = try settings?.double("threshold") ?? 0.5
        guard threshold.isFinite, threshold > 0, threshold <= 1 else {
            throw yaml.error("study", "threshold must be above 0 and at most 1")
        }
        let heads = try settings?.int("heads") ?? 4
        guard (1...XYPanel.palette.count).contains(heads) else {
            throw yaml.error("study", "heads (lines per relation) must be 1–\(XYPanel.palette.count)")
        }
        return StudyPart(threshold: threshold, headsPlotted: heads)
    }

    struct BestRow {
        let relation: String
        let cells: [String]
    }
    struct FirstRow {
        let relation: String
        let head: String
        let revision: String
        let score: String
        let last: String
    }

    struct Rows {
        let anchor: String
        let heading: String
        let intro: String
        let columns: [String]
        let best: [BestRow]
        let isTraining: Bool
        let threshold: String
        let firstReached: [FirstRow]
        let hasFirstReached: Bool
    }

    /// One relation across the members: each member's scores (nil where it
    /// skipped the relation) and, for revisions, the first revision at which
    /// each head reaches the threshold (`members.count`: never).
    struct Studied {
        let name: String
        let title: String
        let maps: [[[Double]]?]
        let first: [[Double]]?
    }

    public struct Computed { let rows: Rows }

    public func compute(_ context: inout ReportContext) throws -> Computed {
        let labels = context.members.map(\.label)
        let training = context.spec.isTraining
        context.files["study.csv"] = Data(
            context.members.enumerated().map { i, member in
                var document = member.document
                document.source = member.label
                let lines = document.csv()
                return i == 0 ? lines : String(lines.drop { $0 != "\n" }.dropFirst())
            }.joined().utf8)
        let studied = context.document.relations.filter { !$0.skipped }.map { r in
            let maps = context.members.map { m in
                m.document.relation(named: r.name).flatMap { $0.skipped ? nil : $0.scores }
            }
            let first =
                training
                ? HeadValues.shape(maps).map {
                    HeadValues.firstReaching(maps, threshold: threshold, layers: $0.0, heads: $0.1)
                }
                : nil
            return Studied(name: r.name, title: r.title, maps: maps, first: first)
        }
        if training {
            for relation in studied { try render(relation, labels: labels, context: &context) }
        }
        return Computed(rows: rows(studied, labels: labels, context: context))
    }

    public func section(_ context: ReportContext, _ computed: Computed) -> ReportSection? {
        ReportSection(rows: computed.rows, contents: (computed.rows.anchor, computed.rows.heading))
    }

    /// A relation's figure across training: the best heads' scores against the
    /// step, beside the map of the first revision at which each head forms.
    func render(_ relation: Studied, labels: [String], context: inout ReportContext) throws {
        guard let shape = HeadValues.shape(relation.maps),
            let figure = TrainingFigure.make(
                title: "\(context.titlePrefix)\(relation.title) across training", labels: labels, maps: relation.maps,
                threshold: threshold, heads: headsPlotted,
                rankedBy: HeadValues.maximum(relation.maps, layers: shape.0, heads: shape.1))
        else { return }
        context.log("rendering figures/study-\(relation.name).png and .pdf")
        context.figures.append(
            .init(
                name: "study-\(relation.name)", png: try figure.pngData(dpi: ReportSettings.defaultDPI),
                pdf: try figure.pdfData(),
                caption: "\(relation.title): scores across \(labels.count) revisions, and when each head first reaches "
                    + format(threshold), cellMaps: []))
    }

    /// The section's rows: each member's best heads per relation, and for revisions when each head forms.
    func rows(_ studied: [Studied], labels: [String], context: ReportContext) -> Rows {
        let training = context.spec.isTraining
        let best = studied.map { relation in
            BestRow(
                relation: relation.title,
                cells: relation.maps.map { map in
                    guard let map else { return "skipped" }
                    let top = ScoreOrder.ordered(map).prefix(3).filter { $0.score > 0 }
                    return top.isEmpty
                        ? "none above 0"
                        : top.map { "\($0.head) (\(String(format: "%.2f", $0.score)))" }.joined(separator: ", ")
                })
        }
        var firstReached: [FirstRow] = []
        for relation in studied {
            guard let first = relation.first else { continue }
            let maps = relation.maps
            firstReached += HeadValues.crossings(first, members: labels.count).map { head, at in
                FirstRow(
                    relation: relation.title, head: head.description, revision: labels[at],
                    score: String(format: "%.2f", maps[at]![head.layer][head.head]),
                    last: maps.last!.map { String(format: "%.2f", $0[head.layer][head.head]) } ?? "skipped")
            }
        }
        let model =
            context.spec.members.first.map { $0.reference.split(separator: "@").first.map(String.init) ?? $0.reference }
            ?? ""
        let intro =
            training
            ? "\(labels.count) revisions of \(model), each scored alike: \(labels.joined(separator: ", ")). "
                + "The sections above describe \(labels.last!)."
            : "\(labels.count) models, each scored alike: \(labels.joined(separator: ", ")). "
                + "The sections above describe \(labels[0])."
        return Rows(
            anchor: training ? "across-revisions" : "across-models",
            heading: training ? "Across revisions" : "Across models",
            intro: intro, columns: labels, best: best, isTraining: training, threshold: format(threshold),
            firstReached: firstReached, hasFirstReached: !firstReached.isEmpty)
    }

    func format(_ value: Double) -> String { String(format: "%g", value) }
}

/// Per-head values over a study's maps (a member that skipped the relation is nil).
public enum HeadValues {
    /// Layers and heads of the maps, nil where every member skipped the relation.
    public static func shape(_ maps: [[[Double]]?]) -> (Int, Int)? {
        maps.lazy.compactMap { $0 }.first.map { ($0.count, $0.first?.count ?? 0) }
    }

    /// Each head's highest score in any member.
    public static func maximum(_ maps: [[[Double]]?], layers: Int, heads: Int) -> [[Double]] {
        (0..<layers).map { l in (0..<heads).map { h in maps.compactMap { $0?[l][h] }.max() ?? 0 } }
    }

    /// The heads that reach the threshold in some member (`first` from
    /// `firstReaching`), with that member's index, earliest first, then by head.
    public static func crossings(_ first: [[Double]], members: Int) -> [(head: HeadIndex, at: Int)] {
        first.indices.flatMap { l in first[l].indices.map { h in (HeadIndex(layer: l, head: h), Int(first[l][h])) } }
            .filter { $0.1 < members }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    /// The index of the first member where each head's score reaches
    /// `threshold`; `maps.count` where none does.
    public static func firstReaching(_ maps: [[[Double]]?], threshold: Double, layers: Int, heads: Int) -> [[Double]] {
        (0..<layers).map { l in
            (0..<heads).map { h in Double(maps.firstIndex { ($0?[l][h] ?? 0) >= threshold } ?? maps.count) }
        }
    }
}

/// A relation across one model's training revisions: the scores of the
/// heads that rank highest against the step (the revision's position where
/// not every revision is named `step<N>`), beside a layer × head map of the
/// first revision at which each head reaches the threshold.
public enum TrainingFigure {
    /// Each revision's training step where every one is named `step<N>`.
    public static func steps(_ labels: [String]) -> [Double]? {
        let steps = labels.map { $0.hasPrefix("step") ? Double($0.dropFirst(4)) : nil }
        return steps.allSatisfy { $0 != nil } ? steps.map { $0! } : nil
    }

    /// nil where every revision skipped the relation.
    public static func make(
        title: String, labels: [String], maps: [[[Double]]?], threshold: Double, heads: Int,
        rankedBy ranking: [[Double]]
    ) -> Figure? {
        guard let shape = HeadValues.shape(maps) else { return nil }
        let first = HeadValues.firstReaching(maps, threshold: threshold, layers: shape.0, heads: shape.1)
        let steps = steps(labels)
        let x = steps ?? labels.indices.map(Double.init)
        let xLabel = steps != nil ? "training step" : "revision (0 = \(labels[0]))"
        let best = ScoreOrder.ordered(ranking).filter { $0.score > 0 }.prefix(heads)
        let series = best.enumerated().map { i, entry in
            XYPanel.Series(
                label: "head \(entry.head)", x: x, y: maps.map { $0?[entry.head.layer][entry.head.head] ?? 0 },
                style: .line, color: XYPanel.palette[i])
        }
        let lines = XYPanel(
            title: title, xLabel: xLabel, yLabel: "score",
            series: series, xRange: x.first!...max(x.last!, x.first! + 1), yRange: 0...1)
        var firstMap = HeatmapPanel(
            title: "First revision at score ≥ \(String(format: "%g", threshold)) (\(labels.count): never)",
            values: first, colorbarLabel: "revision (0 = \(labels[0]))")
        firstMap.range = 0...Double(labels.count)
        return Figure(panels: [lines, firstMap], columns: 2)
    }
}
