import Foundation

/// A colorbar on its own, for a figure whose panels share one scale (the
/// overview grid): drawn once beside the grid instead of once per panel.
public struct ColorbarPanel: FigurePanel {
    public var title: String { "" }
    public var label: String
    public var range: ClosedRange<Double>
    public var colormap: Colormap
    /// The colour bar's height in points (the figure sets it to the grid's).
    public var height: Double

    public init(label: String, range: ClosedRange<Double> = 0...1, colormap: Colormap = .viridis, height: Double = 240)
    {
        self.label = label
        self.range = range
        self.colormap = colormap
        self.height = height
    }

    public func validate() throws(FigureError) {
        guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
            throw .invalidRange(panel: "shared colorbar", low: range.lowerBound, high: range.upperBound)
        }
        guard label.count <= FigureLimits.textLength else {
            throw .textTooLong(what: "a colorbar label", length: label.count)
        }
    }

    public func layout(style: FigureStyle) -> ColorbarGeometry {
        let ticks = Layout.colorbarTicks(range)
        let labels = ticks.map { Layout.formatTick($0, range: range) }
        let tickSizes = labels.map { TextMeasure.size($0, font: style.tickFont) }
        let labelSize = TextMeasure.size(label, font: style.labelFont)
        let m = Layout.margin
        let width = 12.0
        let bar = Rect(x: m, y: m, width: width, height: max(height, Layout.minimumColorbarHeight))
        var texts: [TextItem] = []
        for (value, (text, size)) in zip(ticks, zip(labels, tickSizes)) {
            let y = bar.maxY - (value - range.lowerBound) / (range.upperBound - range.lowerBound) * bar.height
            texts.append(
                TextItem(
                    role: .colorbarTickLabel, text: text, font: style.tickFont,
                    box: Rect(
                        x: bar.maxX + Layout.tickLength + Layout.tickPad, y: y - size.height / 2, width: size.width,
                        height: size.height),
                    rotated: false, wrapWidth: nil))
        }
        let labelX =
            bar.maxX + Layout.tickLength + Layout.tickPad + (tickSizes.map(\.width).max() ?? 0) + Layout.labelPad
        texts.append(
            TextItem(
                role: .colorbarLabel, text: label, font: style.labelFont,
                box: Rect(
                    x: labelX, y: bar.center.y - labelSize.width / 2, width: labelSize.height, height: labelSize.width),
                rotated: true, wrapWidth: nil))
        let frame = Rect(
            x: 0, y: 0, width: labelX + labelSize.height + m,
            height: max(bar.maxY, bar.center.y + labelSize.width / 2) + m)
        return ColorbarGeometry(frame: frame, axes: bar, ticks: ticks, texts: texts)
    }

    public func draw(_ g: ColorbarGeometry, on canvas: any Canvas) {
        Colorbar.draw(in: g.axes, colormap: colormap, range: range, ticks: g.ticks, extensions: [], on: canvas)
        for text in g.texts {
            canvas.text(
                text.text, font: text.font,
                at: text.rotated ? Point(text.box.x, text.box.maxY) : Point(text.box.x, text.box.y),
                rotated: text.rotated, wrapWidth: text.wrapWidth)
        }
    }
}

/// Where a standalone colorbar's parts go; `axes` is the bar itself.
public struct ColorbarGeometry: PanelGeometry {
    public let frame: Rect
    public let axes: Rect
    public let ticks: [Double]
    public let texts: [TextItem]

    public func offset(by d: Point) -> ColorbarGeometry {
        func move(_ r: Rect) -> Rect { Rect(x: r.x + d.x, y: r.y + d.y, width: r.width, height: r.height) }
        return ColorbarGeometry(
            frame: move(frame), axes: move(axes), ticks: ticks,
            texts: texts.map {
                TextItem(
                    role: $0.role, text: $0.text, font: $0.font, box: move($0.box), rotated: $0.rotated,
                    wrapWidth: $0.wrapWidth)
            })
    }
}

/// The gradient, its outline, the triangles for clipped values and the
/// ticks: drawn the same for a heatmap's own colorbar and a shared one.
enum Colorbar {
    static func draw(
        in rect: Rect, colormap: Colormap, range: ClosedRange<Double>, ticks: [Double], extensions: [Rect],
        on canvas: any Canvas
    ) {
        // 256 steps, bottom = the range's low end.
        let entries = colormap.entries
        canvas.image(Array(entries.reversed()), columns: 1, rows: entries.count, in: rect)
        // Outline outside the gradient: each of the 256 levels is under 2 pixels
        // high at 150 dpi, and a stroke on the edge would hide the end ones.
        canvas.strokeRect(rect.insetBy(-0.4), .black, lineWidth: 0.8)
        for ext in extensions {
            let above = ext.maxY <= rect.y + 0.5
            let apex = Point(ext.center.x, above ? ext.y : ext.maxY)
            let base =
                above
                ? [Point(ext.maxX, ext.maxY), Point(ext.x, ext.maxY)] : [Point(ext.maxX, ext.y), Point(ext.x, ext.y)]
            canvas.polygon(
                [apex] + base, fill: above ? entries[entries.count - 1] : entries[0], stroke: .black, lineWidth: 0.8)
        }
        let span = range.upperBound - range.lowerBound
        canvas.lines(
            ticks.map { v in
                let y = rect.maxY - (v - range.lowerBound) / span * rect.height
                return (Point(rect.maxX, y), Point(rect.maxX + Layout.tickLength, y))
            }, .black, lineWidth: 0.8)
    }
}
