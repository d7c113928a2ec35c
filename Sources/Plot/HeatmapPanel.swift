import Core

/// One heatmap with its colorbar: a value per head, `values[layer][head]`.
public struct HeatmapPanel: Sendable {
    public var title: String
    public var values: [[Double]]
    public var xLabel = "Layer"
    public var yLabel = "Head"
    public var colorbarLabel: String
    public var range: ClosedRange<Double> = 0...1
    public var colormap = Colormap.viridis
    public var markers: [MarkerClass] = []
    public var legendTitle: String?
    public var legendPlacement = LegendPlacement.best
    /// False in a figure whose panels share one colorbar (`Figure.sharedColorbar`).
    public var showsColorbar = true

    public init(title: String, values: [[Double]], colorbarLabel: String) {
        precondition(
            !values.isEmpty && !values[0].isEmpty && values.allSatisfy { $0.count == values[0].count },
            "values must be a non-empty layers × heads grid")
        self.title = title
        self.values = values
        self.colorbarLabel = colorbarLabel
    }

    public var layers: Int { values.count }
    public var heads: Int { values[0].count }
}
