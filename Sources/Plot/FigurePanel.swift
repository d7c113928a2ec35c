/// One panel of a figure, of any kind: a heatmap, a bar chart, a line or
/// scatter plot, a shared colorbar. A panel lays itself out at the origin (measuring its text) and
/// draws from that layout; the figure places panels on a grid. Layout and
/// drawing stay separate, so layouts can be tested without rendering.
public protocol FigurePanel: Sendable {
    associatedtype Geometry: PanelGeometry
    var title: String { get }
    /// Everything that would make drawing fail or mislead, as an error.
    func validate() throws(FigureError)
    /// The panel's layout with its frame at the origin, sized by `style`.
    func layout(style: FigureStyle) -> Geometry
    func draw(_ geometry: Geometry, on canvas: any Canvas)
}

/// Where a panel's parts go, in points. The figure needs only the frame, the
/// plot area (panels of a row align the tops of theirs) and a way to move it.
public protocol PanelGeometry: Sendable {
    var frame: Rect { get }
    var axes: Rect { get }
    var texts: [TextItem] { get }
    func offset(by d: Point) -> Self
}
