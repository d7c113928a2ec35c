import Foundation

/// Panels of any kind side by side (wrapping into rows after `columns`), each
/// with its own axes; drawn to PNG or PDF through a `Canvas`.
public struct Figure: Sendable {
    public var panels: [any FigurePanel]
    public var columns: Int
    /// The plot areas' scale (0.5 suits an overview grid of many relations)
    /// and the base font size.
    public var style: FigureStyle
    /// One colorbar for every panel (which then draw none of their own).
    public var sharedColorbar: ColorbarPanel?

    public init(panels: [any FigurePanel], columns: Int? = nil, scale: Double = 1, fontSize: Double = 10) {
        precondition(!panels.isEmpty)
        self.panels = panels
        self.columns = max(1, columns ?? panels.count)
        self.style = FigureStyle(scale: scale, fontSize: fontSize)
    }

    /// The figure with its plot areas scaled so that it is `inches` wide
    /// (text keeps its size), as a journal's column width asks; an error when
    /// even the smallest cells do not fit.
    public func fitted(toWidth inches: Double) throws(FigureError) -> Figure {
        let target = inches * 72
        guard inches.isFinite, inches > 0 else { throw .cannotFitWidth(inches: inches, narrowest: 0) }
        func width(_ scale: Double) -> Double {
            var copy = self
            copy.style.scale = scale
            return copy.layout().size.width
        }
        var low = 0.02
        var high = 20.0
        guard width(low) <= target else { throw .cannotFitWidth(inches: inches, narrowest: width(low) / 72) }
        for _ in 0..<40 {
            let mid = (low + high) / 2
            if width(mid) <= target { low = mid } else { high = mid }
        }
        var fitted = self
        fitted.style.scale = low
        return fitted
    }

    public func layout() -> FigureLayout { Layout.figure(self) }

    /// PNG bytes at `dpi` (150 by default, 300 for print).
    public func pngData(dpi: Double = 150) throws(FigureError) -> Data {
        guard dpi.isFinite, FigureLimits.dpi.contains(dpi) else { throw .invalidDPI(dpi) }
        try validate()
        let layout = layout()
        let scale = dpi / 72
        let width = layout.size.width * scale
        let height = layout.size.height * scale
        guard width.isFinite, height.isFinite, width <= Double(FigureLimits.pixelsPerSide),
            height <= Double(FigureLimits.pixelsPerSide),
            width * height <= Double(FigureLimits.pixels)
        else {
            throw .tooLarge(
                width: width.isFinite ? Int(width.rounded(.up)) : Int.max,
                height: height.isFinite ? Int(height.rounded(.up)) : Int.max)
        }
        let canvas = CairoCanvas(rasterSize: layout.size, dpi: dpi)
        draw(layout, on: canvas)
        return try canvas.pngData(dpi: dpi)
    }

    /// PDF bytes: vectors, text as text in DejaVu Sans, fixed metadata.
    public func pdfData() throws(FigureError) -> Data {
        try validate()
        let layout = layout()
        guard layout.size.width <= FigureLimits.pdfPoints, layout.size.height <= FigureLimits.pdfPoints else {
            throw .tooLarge(width: Int(layout.size.width.rounded(.up)), height: Int(layout.size.height.rounded(.up)))
        }
        let canvas = CairoCanvas(pdfSize: layout.size, title: panels.map(\.title).joined(separator: " | "))
        draw(layout, on: canvas)
        return try canvas.vectorData()
    }

    /// SVG bytes (1.1, in points): vectors for the web and for editing.
    public func svgData() throws(FigureError) -> Data {
        try validate()
        let layout = layout()
        guard layout.size.width <= FigureLimits.pdfPoints, layout.size.height <= FigureLimits.pdfPoints else {
            throw .tooLarge(width: Int(layout.size.width.rounded(.up)), height: Int(layout.size.height.rounded(.up)))
        }
        let canvas = CairoCanvas(svgSize: layout.size)
        draw(layout, on: canvas)
        return try canvas.vectorData()
    }

    public func validate() throws(FigureError) {
        guard style.fontSize.isFinite, FigureStyle.fontSizes.contains(style.fontSize) else {
            throw .invalidFontSize(style.fontSize)
        }
        for panel in panels { try panel.validate() }
        try sharedColorbar?.validate()
    }

    public static var libraryVersions: (cairo: String, pango: String) {
        (CairoCanvas.cairoVersion, CairoCanvas.pangoVersion)
    }

    private func draw(_ layout: FigureLayout, on canvas: any Canvas) {
        for (panel, geometry) in zip(panels, layout.panels) { Figure.draw(panel, geometry, on: canvas) }
        if let bar = sharedColorbar, let geometry = layout.sharedColorbar { bar.draw(geometry, on: canvas) }
    }

    /// Opens the existential: each panel draws from the geometry it laid out.
    private static func draw<P: FigurePanel>(_ panel: P, _ geometry: any PanelGeometry, on canvas: any Canvas) {
        guard let own = geometry as? P.Geometry else {
            preconditionFailure("a panel's layout is its own geometry type")
        }
        panel.draw(own, on: canvas)
    }
}
