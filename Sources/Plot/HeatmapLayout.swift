import Core
import Foundation

/// Where everything of one heatmap panel goes, in points.
public struct HeatmapLayout: PanelGeometry {
    public let frame: Rect
    public let axes: Rect
    public let cellSize: Size
    public let xTicks: [Int]
    public let yTicks: [Int]
    public let colorbar: Rect
    public let colorbarTicks: [Double]
    /// Triangles past the colorbar's ends (as matplotlib's `extend`): values
    /// beyond the range were clipped to its end colour. Empty when none are.
    public let colorbarExtensions: [Rect]
    public let legend: Rect?
    public let legendEntries: [(marker: Point, style: MarkerStyle)]
    public let texts: [TextItem]

    /// The rectangle of one head's cell (head 0 at the top).
    public func cell(_ index: HeadIndex) -> Rect {
        Rect(
            x: axes.x + Double(index.layer) * cellSize.width, y: axes.y + Double(index.head) * cellSize.height,
            width: cellSize.width, height: cellSize.height)
    }
}

extension HeatmapLayout {
    public func offset(by d: Point) -> HeatmapLayout {
        func move(_ r: Rect) -> Rect { Rect(x: r.x + d.x, y: r.y + d.y, width: r.width, height: r.height) }
        return HeatmapLayout(
            frame: move(frame), axes: move(axes), cellSize: cellSize, xTicks: xTicks, yTicks: yTicks,
            colorbar: move(colorbar), colorbarTicks: colorbarTicks, colorbarExtensions: colorbarExtensions.map(move),
            legend: legend.map(move),
            legendEntries: legendEntries.map { (Point($0.marker.x + d.x, $0.marker.y + d.y), $0.style) },
            texts: texts.map {
                TextItem(
                    role: $0.role, text: $0.text, font: $0.font, box: move($0.box), rotated: $0.rotated,
                    wrapWidth: $0.wrapWidth)
            })
    }
}
