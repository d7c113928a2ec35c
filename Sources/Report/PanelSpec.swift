import Analysis
import Core
import Foundation
import Plot

/// What one panel of a figure shows: a relation's scores (or suppression
/// scores), how it is labelled, and which heads are marked.
public struct PanelSpec: Sendable {
    public var relation: String
    public var suppression = false
    public var title: String?
    public var colorbarLabel: String?
    public var markers: MarkerSet?
    public var range: ClosedRange<Double> = 0...1
    public var colormap = Colormap.viridis
    public var legend = LegendPlacement.best

    public init(relation: String) { self.relation = relation }

    /// "GPT-2 medium: Name Copying heads", as the paper titles its panels.
    public func resolvedTitle(modelName: String, relationTitle: String) -> String {
        title
            ?? "\(modelName.isEmpty ? "" : modelName + ": ")\(suppression ? "(Suppression) " : "")\(relationTitle) "
            + "heads"
    }

    public func panel(from scores: ScoresDocument, modelName: String) throws -> HeatmapPanel {
        guard let relation = scores.relation(named: relation) else {
            throw ReportError.noSuchRelation(
                name: Excerpt.short(self.relation), available: scores.relations.map(\.name))
        }
        if let reason = relation.skipReason {
            throw ReportError.relationSkipped(name: relation.name, reason: reason)
        }
        try markers?.validate(layers: scores.shape.layers, heads: scores.shape.heads)
        var panel = HeatmapPanel(
            title: resolvedTitle(modelName: modelName, relationTitle: relation.title),
            values: suppression ? relation.suppression : relation.scores,
            colorbarLabel: colorbarLabel ?? "\(suppression ? "Suppression " : "")\(relation.title) score")
        panel.range = range
        panel.colormap = colormap
        panel.markers = markers?.classes ?? []
        panel.legendTitle = markers?.title
        panel.legendPlacement = legend
        return panel
    }
}
