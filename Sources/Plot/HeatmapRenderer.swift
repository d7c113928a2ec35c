import Foundation

extension HeatmapFigure {
    public func layout() -> FigureLayout { Layout.figure(self) }

    /// PNG bytes at `dpi` (150 by default, 300 for print).
    public func pngData(dpi: Double = 150) throws(FigureError) -> Data {
        guard dpi.isFinite, FigureLimits.dpi.contains(dpi) else { throw .invalidDPI(dpi) }
        try validate()
        let layout = layout()
        let scale = dpi / 72
        let width = layout.size.width * scale, height = layout.size.height * scale
        guard width.isFinite, height.isFinite, width <= Double(FigureLimits.pixelsPerSide), height <= Double(FigureLimits.pixelsPerSide),
              width * height <= Double(FigureLimits.pixels) else {
            throw .tooLarge(width: width.isFinite ? Int(width.rounded(.up)) : Int.max, height: height.isFinite ? Int(height.rounded(.up)) : Int.max)
        }
        let canvas = CairoCanvas(rasterSize: layout.size, dpi: dpi)
        draw(layout, on: canvas)
        return try canvas.pngData()
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
        return try canvas.pdfData()
    }

    /// What no layout can draw: empty or huge grids, bad ranges, non-finite
    /// values, text the length of a book.
    public func validate() throws(FigureError) {
        for panel in panels {
            for (what, text) in [("a panel title", panel.title), ("a colorbar label", panel.colorbarLabel),
                                 ("a legend title", panel.legendTitle ?? "")] + panel.markers.map({ ("a legend entry", $0.label) })
                where text.count > FigureLimits.textLength {
                throw .textTooLong(what: what, length: text.count)
            }
            guard panel.layers > 0, panel.heads > 0 else { throw .emptyGrid(panel: panel.title) }
            guard panel.layers <= FigureLimits.gridSide, panel.heads <= FigureLimits.gridSide else {
                throw .gridTooLarge(panel: panel.title, layers: panel.layers, heads: panel.heads)
            }
            let low = panel.range.lowerBound, high = panel.range.upperBound
            guard low.isFinite, high.isFinite, low < high else { throw .invalidRange(panel: panel.title, low: low, high: high) }
            for (l, row) in panel.values.enumerated() {
                guard row.count == panel.heads else { throw .emptyGrid(panel: panel.title) }
                for (h, v) in row.enumerated() where !v.isFinite { throw .nonFiniteValue(panel: panel.title, layer: l, head: h) }
            }
        }
    }

    public static var libraryVersions: (cairo: String, pango: String) { (CairoCanvas.cairoVersion, CairoCanvas.pangoVersion) }

    private func draw(_ layout: FigureLayout, on canvas: CairoCanvas) {
        for (panel, geometry) in zip(panels, layout.panels) {
            drawPanel(panel, geometry, on: canvas)
        }
    }

    private func drawPanel(_ panel: HeatmapPanel, _ g: PanelLayout, on canvas: CairoCanvas) {
        // Cells: an image with 8 × 8 pixels per head (row = head), drawn with
        // sharp edges. Viewers that smooth images (poppler, pdf.js) then blur
        // at most the outer eighth of a cell instead of the whole map.
        let k = 8
        var pixels: [RGB] = []
        pixels.reserveCapacity(panel.layers * panel.heads * k * k)
        for h in 0..<panel.heads {
            let row = (0..<panel.layers).flatMap { l in
                repeatElement(panel.colormap.color(panel.values[l][h], range: panel.range), count: k)
            }
            for _ in 0..<k { pixels.append(contentsOf: row) }
        }
        canvas.image(pixels, columns: panel.layers * k, rows: panel.heads * k, in: g.axes)
        canvas.strokeRect(g.axes, .black, lineWidth: 0.8)

        // Outward ticks at cell centres.
        let t = Layout.tickLength
        canvas.lines(g.xTicks.map { l in
            let x = g.axes.x + (Double(l) + 0.5) * g.cellSize.width
            return (Point(x, g.axes.maxY), Point(x, g.axes.maxY + t))
        } + g.yTicks.map { h in
            let y = g.axes.y + (Double(h) + 0.5) * g.cellSize.height
            return (Point(g.axes.x, y), Point(g.axes.x - t, y))
        }, .black, lineWidth: 0.8)

        // Markers, legible on dark and bright cells: black with a white halo.
        let side = min(g.cellSize.width, g.cellSize.height)
        for marker in panel.markers {
            for index in marker.heads where index.layer < panel.layers && index.head < panel.heads {
                drawMarker(marker.style, at: g.cell(index).center, size: side * 0.64, on: canvas)
            }
        }

        // Colorbar: 256 steps, bottom = the range's low end.
        let entries = panel.colormap.entries
        canvas.image(Array(entries.reversed()), columns: 1, rows: entries.count, in: g.colorbar)
        // Outline outside the gradient: each of the 256 levels is under 2 pixels
        // high at 150 dpi, and a stroke on the edge would hide the end ones.
        canvas.strokeRect(g.colorbar.insetBy(-0.4), .black, lineWidth: 0.8)
        let span = panel.range.upperBound - panel.range.lowerBound
        canvas.lines(g.colorbarTicks.map { v in
            let y = g.colorbar.maxY - (v - panel.range.lowerBound) / span * g.colorbar.height
            return (Point(g.colorbar.maxX, y), Point(g.colorbar.maxX + t, y))
        }, .black, lineWidth: 0.8)

        if let legend = g.legend {
            canvas.roundedRect(legend, radius: 2, fill: .white, fillAlpha: 0.8, stroke: RGB(0.8, 0.8, 0.8), lineWidth: 0.8)
            for entry in g.legendEntries { drawMarker(entry.style, at: entry.marker, size: Layout.legendMarker, on: canvas) }
        }

        for text in g.texts {
            let origin = text.rotated ? Point(text.box.x, text.box.maxY) : Point(text.box.x, text.box.y)
            canvas.text(text.text, font: text.font, at: origin, rotated: text.rotated, wrapWidth: text.wrapWidth)
        }
    }

    private func drawMarker(_ style: MarkerStyle, at c: Point, size: Double, on canvas: CairoCanvas) {
        let r = size / 2
        let width = min(max(size * 0.16, 0.9), 1.8)
        switch style {
        case .cross:
            let arms = [(Point(c.x - r, c.y - r), Point(c.x + r, c.y + r)), (Point(c.x - r, c.y + r), Point(c.x + r, c.y - r))]
            canvas.lines(arms, .white, lineWidth: width + 1.2, roundCaps: true)
            canvas.lines(arms, .black, lineWidth: width, roundCaps: true)
        case .circle:
            canvas.circle(center: c, radius: r * 0.9, .white, lineWidth: width + 1.2)
            canvas.circle(center: c, radius: r * 0.9, .black, lineWidth: width)
        }
    }
}
