import Analysis
import Core
import Foundation
import Plot

/// The spec's figures (`figures:`): heatmap panels with markers, or an
/// overview of every scored relation; rendered to PNG and PDF. Its section
/// lists every figure of the report, the experiments' too.
public struct FiguresPart: ReportPart {
    public struct Figure: Sendable {
        public var name: String
        public var columns: Int?
        /// `nil`: one compact panel per scored relation.
        public var panels: [PanelSpec]?
        public var dpi: Double = ReportSettings.defaultDPI
        /// The figure's width in inches (its plot areas are scaled to fit); nil: natural size.
        public var widthInches: Double?
        public var fontSize: Double = 10
    }

    public let name = "figures"
    public let figures: [Figure]

    /// The rows of the figures' partials.
    struct Rows { let figures: [FigureEntry] }

    public static let kind = ReportPartKind(keys: ["figures"]) { yaml, spec in
        FiguresPart(figures: try parse(yaml, spec: spec))
    }

    /// The panels of the explicit figures, in order (overviews have none).
    public var explicitPanels: [PanelSpec] { figures.flatMap { $0.panels ?? [] } }

    public var relationsNeeded: [String] {
        explicitPanels.map(\.relation).filter(BuiltinRelations.names.contains)
    }

    /// The marker sets the panels use, each once, in order of first use.
    public var inputs: [ReportInput] {
        var out: [ReportInput] = []
        for panel in explicitPanels {
            if let m = panel.markers?.source, !out.contains(where: { $0.path == m }) {
                out.append(ReportInput(path: m, role: "markers", description: "a marker set"))
            }
        }
        return out
    }

    public func compute(_ context: inout ReportContext) throws {
        for figureSpec in figures {
            if let figure = try render(figureSpec, context: context) { context.figures.append(figure) }
        }
    }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        ReportSection(rows: Rows(figures: context.figures.map(FigureEntry.init)), contents: ("figures", "Figures"))
    }

    func render(_ figureSpec: Figure, context: ReportContext) throws -> ReportContext.RenderedFigure? {
        let document = context.document
        var figure: Plot.Figure
        let caption: String
        var labels: [(String, [String: String])] = []
        if let panelSpecs = figureSpec.panels {
            let panels = try panelSpecs.map { try $0.panel(from: document, modelName: context.spec.modelName) }
            labels = panels.map { panel in
                var marked: [String: String] = [:]
                for markerClass in panel.markers {
                    for h in markerClass.heads where marked["\(h.layer).\(h.head)"] == nil {
                        marked["\(h.layer).\(h.head)"] = markerClass.label
                    }
                }
                return (panel.title, marked)
            }
            figure = Plot.Figure(panels: panels, columns: figureSpec.columns)
            caption = panels.map(\.title).joined(separator: " · ")
        } else {
            // Small maps on one scale: one colorbar for the grid, none per panel.
            let panels = document.relations.filter { !$0.skipped }.map { r -> HeatmapPanel in
                var panel = HeatmapPanel(title: r.title, values: r.scores, colorbarLabel: "score")
                panel.showsColorbar = false
                return panel
            }
            guard !panels.isEmpty else { return nil }
            labels = panels.map { ($0.title, [:]) }
            figure = Plot.Figure(
                panels: panels, columns: figureSpec.columns ?? min(ReportSettings.overviewColumns, panels.count),
                scale: ReportSettings.overviewScale)
            figure.sharedColorbar = ColorbarPanel(label: "score")
            caption = "Overview: \(panels.count) relations, one map each"
        }
        figure.style.fontSize = figureSpec.fontSize
        if let inches = figureSpec.widthInches { figure = try figure.fitted(toWidth: inches) }
        context.log("rendering figures/\(figureSpec.name).png and .pdf")
        let layout = figure.layout()
        let cellMaps = figure.panels.indices.compactMap { i -> ReportContext.CellMap? in
            guard let g = layout.heatmap(i), let panel = figure.panels[i] as? HeatmapPanel else { return nil }
            return ReportContext.CellMap(
                label: labels[i].0, x: g.axes.x / layout.size.width, y: g.axes.y / layout.size.height,
                width: g.axes.width / layout.size.width, height: g.axes.height / layout.size.height,
                values: panel.values, marked: labels[i].1)
        }
        return ReportContext.RenderedFigure(
            name: figureSpec.name, png: try figure.pngData(dpi: figureSpec.dpi), pdf: try figure.pdfData(),
            caption: caption, cellMaps: cellMaps)
    }

    static func parse(_ yaml: YAMLMapping, spec: ReportSpec) throws -> [Figure] {
        var figures: [Figure] = []
        var figureNames: [String: Int?] = [:]
        for f in try yaml.mappings("figures") ?? [] {
            try f.allowKeys(["name", "columns", "panels", "dpi", "width_in", "font_size"])
            let name = try f.requiredString("name")
            guard name.range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression) != nil else {
                throw f.error(
                    "name", "'\(Excerpt.short(name))' must be letters, digits, '-' or '_' (it names the figure's files)"
                )
            }
            if let earlier = figureNames[name] {
                throw f.error(
                    "name",
                    "'\(name)' names two figures (also at line \(earlier.map(String.init) ?? "?")); "
                        + "each figure needs its own name, it names its files")
            }
            figureNames[name] = f.line
            let dpi = try f.double("dpi") ?? ReportSettings.defaultDPI
            guard FigureLimits.dpi.contains(dpi) else {
                throw f.error(
                    "dpi",
                    "must be a number from \(Int(FigureLimits.dpi.lowerBound)) "
                        + "to \(Int(FigureLimits.dpi.upperBound)), not \(dpi)"
                )
            }
            if let columns = try f.int("columns"), columns < 1 || columns > FigureLimits.columns {
                throw f.error("columns", "must be from 1 to \(FigureLimits.columns), not \(columns)")
            }
            var figure = Figure(name: name, columns: try f.int("columns"), panels: nil, dpi: dpi)
            if let width = try f.double("width_in") {
                guard width.isFinite, width > 0, width <= 200 else {
                    throw f.error("width_in", "must be a number of inches above 0 and at most 200, not \(width)")
                }
                figure.widthInches = width
            }
            if let size = try f.double("font_size") {
                guard size.isFinite, FigureStyle.fontSizes.contains(size) else {
                    let sizes = FigureStyle.fontSizes
                    throw f.error(
                        "font_size",
                        "must be from \(Int(sizes.lowerBound)) to \(Int(sizes.upperBound)) points, not \(size)")
                }
                figure.fontSize = size
            }
            if let all = try? f.string("panels"), all == "all" {
                figure.panels = nil
            } else {
                guard let panels = try f.mappings("panels"), !panels.isEmpty else {
                    throw f.error("panels", "is required: a list of panels, or 'all'")
                }
                figure.panels = try panels.map { try panel($0, directory: spec.directory) }
            }
            figures.append(figure)
        }
        return figures.isEmpty ? [Figure(name: "overview", columns: 5, panels: nil)] : figures
    }

    static func panel(_ p: YAMLMapping, directory: String) throws -> PanelSpec {
        try p.allowKeys([
            "relation", "suppression", "title", "colorbar_label", "markers", "range", "colormap", "legend",
        ])
        var spec = PanelSpec(relation: try p.requiredString("relation"))
        spec.suppression = try p.bool("suppression") ?? false
        spec.title = try p.string("title")
        spec.colorbarLabel = try p.string("colorbar_label")
        if let markers = try p.string("markers") {
            let file = markers.hasPrefix("/") ? markers : (directory as NSString).appendingPathComponent(markers)
            guard FileManager.default.fileExists(atPath: file) else {
                throw p.error("markers", "file \(file) does not exist")
            }
            spec.markers = try MarkerSet.load(file: file)
        }
        if let range = try p.scalars("range") {
            guard range.count == 2, let lo = Double(range[0].text), let hi = Double(range[1].text),
                lo.isFinite, hi.isFinite, lo < hi
            else {
                throw p.error("range", "must be [low, high]: finite numbers with low < high")
            }
            spec.range = lo...hi
        }
        if let name = try p.string("colormap") {
            guard let map = Colormap.named(name) else {
                throw p.error("colormap", "must be viridis or diverging, not '\(Excerpt.short(name))'")
            }
            spec.colormap = map
        }
        if let legend = try p.string("legend") {
            guard let placement = LegendPlacement(rawValue: legend) else {
                throw p.error("legend", "must be best or below, not '\(Excerpt.short(legend))'")
            }
            spec.legend = placement
        }
        return spec
    }
}
