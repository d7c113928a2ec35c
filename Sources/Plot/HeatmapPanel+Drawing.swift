import Foundation

/// The heatmap as a figure panel: checks, layout (`Layout.panel`), drawing.
extension HeatmapPanel: FigurePanel {
    /// What no layout can draw: empty or huge grids, bad ranges, non-finite
    /// values, text the length of a book.
    public func validate() throws(FigureError) {
        for (what, text) in [
            ("a panel title", title), ("a colorbar label", colorbarLabel), ("a legend title", legendTitle ?? ""),
        ]
            + markers.map({ ("a legend entry", $0.label) }) where text.count > FigureLimits.textLength
        {
            throw .textTooLong(what: what, length: text.count)
        }
        guard !values.isEmpty, !values[0].isEmpty else { throw .emptyGrid(panel: title) }
        guard layers <= FigureLimits.gridSide, heads <= FigureLimits.gridSide else {
            throw .gridTooLarge(panel: title, layers: layers, heads: heads)
        }
        let low = range.lowerBound
        let high = range.upperBound
        guard low.isFinite, high.isFinite, low < high else { throw .invalidRange(panel: title, low: low, high: high) }
        for (l, row) in values.enumerated() {
            guard row.count == heads else { throw .emptyGrid(panel: title) }
            for (h, v) in row.enumerated() where !v.isFinite { throw .nonFiniteValue(panel: title, layer: l, head: h) }
        }
    }

    public func layout(style: FigureStyle) -> HeatmapLayout { Layout.panel(self, style: style) }

    public func draw(_ g: HeatmapLayout, on canvas: any Canvas) {
        let panel = self
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
        let xTicks: [(Point, Point)] = g.xTicks.map { l in
            let x = g.axes.x + (Double(l) + 0.5) * g.cellSize.width
            return (Point(x, g.axes.maxY), Point(x, g.axes.maxY + t))
        }
        let yTicks: [(Point, Point)] = g.yTicks.map { h in
            let y = g.axes.y + (Double(h) + 0.5) * g.cellSize.height
            return (Point(g.axes.x, y), Point(g.axes.x - t, y))
        }
        canvas.lines(xTicks + yTicks, .black, lineWidth: 0.8)

        // Markers, legible on dark and bright cells: black with a white halo.
        let side = min(g.cellSize.width, g.cellSize.height)
        for marker in panel.markers {
            for index in marker.heads where index.layer < panel.layers && index.head < panel.heads {
                drawMarker(marker.style, at: g.cell(index).center, size: side * 0.64, on: canvas)
            }
        }

        if panel.showsColorbar {
            Colorbar.draw(
                in: g.colorbar, colormap: panel.colormap, range: panel.range, ticks: g.colorbarTicks,
                extensions: g.colorbarExtensions, on: canvas)
        }

        if let legend = g.legend {
            canvas.roundedRect(
                legend, radius: 2, fill: .white, fillAlpha: 0.8, stroke: RGB(0.8, 0.8, 0.8), lineWidth: 0.8)
            for entry in g.legendEntries {
                drawMarker(entry.style, at: entry.marker, size: Layout.legendMarker, on: canvas)
            }
        }

        for text in g.texts {
            let origin = text.rotated ? Point(text.box.x, text.box.maxY) : Point(text.box.x, text.box.y)
            canvas.text(text.text, font: text.font, at: origin, rotated: text.rotated, wrapWidth: text.wrapWidth)
        }
    }

    private func drawMarker(_ style: MarkerStyle, at c: Point, size: Double, on canvas: any Canvas) {
        let r = size / 2
        let width = min(max(size * 0.16, 0.9), 1.8)
        switch style {
        case .cross:
            let arms = [
                (Point(c.x - r, c.y - r), Point(c.x + r, c.y + r)), (Point(c.x - r, c.y + r), Point(c.x + r, c.y - r)),
            ]
            canvas.lines(arms, .white, lineWidth: width + 1.2, roundCaps: true)
            canvas.lines(arms, .black, lineWidth: width, roundCaps: true)
        case .circle:
            canvas.circle(center: c, radius: r * 0.9, .white, lineWidth: width + 1.2)
            canvas.circle(center: c, radius: r * 0.9, .black, lineWidth: width)
        }
    }
}
