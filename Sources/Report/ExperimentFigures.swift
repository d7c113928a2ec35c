import Analysis
import Experiments
import Foundation
import Plot

/// The experiments' figures: static against dynamic scores, one panel per
/// relation; accuracy against heads ablated, with the random baseline's spread.
public enum ExperimentFigures {
    public static func dynamic(
        _ relations: [DynamicScores.RelationResult], statics: ScoresDocument, modelName: String,
        yLabel: String = "dynamic score"
    ) -> Figure? {
        let panels: [XYPanel] = relations.compactMap { r in
            guard let s = statics.relation(named: r.name) else { return nil }
            let x = Array(repeating: Array(s.scores.joined()), count: r.templates.count).flatMap { $0 }
            func show(_ c: Correlation) -> String { c.r.map { String(format: "%.2f", $0) } ?? "n/a" }
            return XYPanel(
                title:
                    "\(modelName.isEmpty ? "" : modelName + ": ")\(s.title) (r = \(show(r.withContext.score)) with "
                    + "context, \(show(r.withoutContext.score)) without)",
                xLabel: "static score", yLabel: yLabel,
                series: [
                    .init(
                        label: "with context", x: x, y: r.templates.flatMap { Array($0.withContext.scores.joined()) },
                        style: .points, color: XYPanel.palette[0]),
                    .init(
                        label: "without context", x: x,
                        y: r.templates.flatMap { Array($0.withoutContext.scores.joined()) }, style: .points,
                        color: XYPanel.palette[1]),
                ],
                xRange: 0...1, yRange: 0...1)
        }
        return panels.isEmpty ? nil : Figure(panels: panels, columns: min(panels.count, 2))
    }

    public static func ablation(_ a: Ablation, title: String) -> Figure {
        let n = a.top.accuracy.count
        var series: [XYPanel.Series] = [
            .init(
                label: "top static heads of \(a.relation)", x: (0..<n).map(Double.init), y: a.top.accuracy,
                style: .line, color: XYPanel.palette[0])
        ]
        if !a.random.isEmpty {
            let m = a.random.map(\.accuracy.count).min() ?? 0
            let columns = (0..<m).map { i in a.random.map { $0.accuracy[i] } }
            series.append(
                .init(
                    label: "random heads (mean, min–max of \(a.random.count))", x: (0..<m).map(Double.init),
                    y: columns.map { $0.reduce(0, +) / Double($0.count) }, style: .line, color: XYPanel.palette[3],
                    band: (columns.map { $0.min()! }, columns.map { $0.max()! })))
        }
        if let c = a.control {
            series.append(
                .init(
                    label: "the same heads on \(c.relation)'s task", x: (0..<c.curve.accuracy.count).map(Double.init),
                    y: c.curve.accuracy, style: .line, color: XYPanel.palette[1]))
        }
        return Figure(panels: [
            XYPanel(
                title: title, xLabel: "heads ablated", yLabel: "accuracy", series: series,
                xRange: 0...Double(max(1, n - 1)), yRange: 0...1)
        ])
    }
}
