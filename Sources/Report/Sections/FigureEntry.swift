/// A figure as the report shows it: embedded in HTML, linked from Markdown.
struct FigureEntry {
    let name: String
    let png: String
    let pdf: String
    let dataURI: String
    let caption: String
    /// JSON of the figure's heatmaps (`CellMap`), for the HTML report's hover and click.
    let cells: String

    init(_ figure: ReportContext.RenderedFigure) {
        name = figure.name
        png = "figures/\(figure.name).png"
        pdf = "figures/\(figure.name).pdf"
        dataURI = "data:image/png;base64," + figure.png.base64EncodedString()
        caption = figure.caption
        cells = "[" + figure.cellMaps.map(\.json).joined(separator: ",") + "]"
    }
}
