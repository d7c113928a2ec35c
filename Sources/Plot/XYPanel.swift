import Core
import Foundation

/// Points or lines on numeric axes: the experiments' figures — a scatter of
/// static against dynamic scores, accuracy against heads ablated with the
/// random baseline's spread as a band.
public struct XYPanel: Sendable {
    public struct Series: Sendable {
        public enum Style: Sendable { case points, line }
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var style: Style
        public var color: RGB
        /// A shaded band from `lower` to `upper` at each x (lines only).
        public var band: (lower: [Double], upper: [Double])?

        public init(
            label: String, x: [Double], y: [Double], style: Style, color: RGB,
            band: (lower: [Double], upper: [Double])? = nil
        ) {
            self.label = label
            self.x = x
            self.y = y
            self.style = style
            self.color = color
            self.band = band
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>

    public init(
        title: String, xLabel: String, yLabel: String, series: [Series], xRange: ClosedRange<Double>,
        yRange: ClosedRange<Double>
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xRange = xRange
        self.yRange = yRange
    }

    /// Colours that stay apart in print and for colour-blind readers (viridis ends and middle).
    public static let palette = [
        RGB(0.267, 0.005, 0.329), RGB(0.128, 0.567, 0.551), RGB(0.993, 0.906, 0.144), RGB(0.6, 0.6, 0.6),
    ]
}

public struct XYLayout: PanelGeometry {
    public let frame: Rect
    public let axes: Rect
    public let xTicks: [(value: Double, x: Double)]
    public let yTicks: [(value: Double, y: Double)]
    public let legend: Rect?
    /// Where each series' legend swatch goes.
    public let legendSwatches: [Point]
    public let texts: [TextItem]

    public func offset(by d: Point) -> XYLayout {
        func move(_ r: Rect) -> Rect { Rect(x: r.x + d.x, y: r.y + d.y, width: r.width, height: r.height) }
        return XYLayout(
            frame: move(frame), axes: move(axes), xTicks: xTicks.map { ($0.value, $0.x + d.x) },
            yTicks: yTicks.map { ($0.value, $0.y + d.y) }, legend: legend.map(move),
            legendSwatches: legendSwatches.map { Point($0.x + d.x, $0.y + d.y) },
            texts: texts.map {
                TextItem(
                    role: $0.role, text: $0.text, font: $0.font, box: move($0.box), rotated: $0.rotated,
                    wrapWidth: $0.wrapWidth)
            })
    }

    /// A data point's position.
    public func point(_ x: Double, _ y: Double, panel: XYPanel) -> Point {
        let fx = (x - panel.xRange.lowerBound) / (panel.xRange.upperBound - panel.xRange.lowerBound)
        let fy = (y - panel.yRange.lowerBound) / (panel.yRange.upperBound - panel.yRange.lowerBound)
        return Point(axes.x + fx * axes.width, axes.maxY - fy * axes.height)
    }
}

extension XYPanel: FigurePanel {
    public func validate() throws(FigureError) {
        for (what, text) in [("a panel title", title), ("an axis label", xLabel), ("an axis label", yLabel)]
            + series.map({ ("a legend entry", $0.label) })
        where text.count > FigureLimits.textLength {
            throw .textTooLong(what: what, length: text.count)
        }
        for range in [xRange, yRange]
        where !(range.lowerBound.isFinite && range.upperBound.isFinite && range.lowerBound < range.upperBound) {
            throw .invalidRange(panel: title, low: range.lowerBound, high: range.upperBound)
        }
        for (i, s) in series.enumerated() {
            guard s.x.count == s.y.count,
                s.band.map({ $0.lower.count == s.x.count && $0.upper.count == s.x.count }) ?? true
            else { throw .emptyGrid(panel: title) }
            let band = s.band.map { $0.lower + $0.upper } ?? []
            for v in s.x + s.y + band where !v.isFinite { throw .nonFiniteValue(panel: title, layer: i, head: 0) }
        }
    }

    public func layout(style: FigureStyle) -> XYLayout {
        let m = Layout.margin
        func measure(_ s: String, _ f: FontSpec, wrap: Double? = nil) -> Size {
            TextMeasure.size(s, font: f, wrapWidth: wrap)
        }
        let xTickValues = XYPanel.ticks(xRange)
        let yTickValues = XYPanel.ticks(yRange)
        let yTickWidth = yTickValues.map { measure(XYPanel.label($0, range: yRange), style.tickFont).width }.max() ?? 0
        let yLabel = measure(self.yLabel, style.labelFont)
        let axesX = m + yLabel.height + Layout.labelPad + yTickWidth + Layout.tickPad + Layout.tickLength
        let axesSize = Size(300 * style.scale, 220 * style.scale)
        var width = axesX + axesSize.width + m + 12
        let (titleItem, titleHeight) = Layout.chartTitle(title, style: style, width: &width)
        var texts = [titleItem]
        let axes = Rect(
            x: axesX, y: m + titleHeight + Layout.titlePad, width: axesSize.width, height: axesSize.height)
        func px(_ v: Double) -> Double {
            axes.x + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * axes.width
        }
        func py(_ v: Double) -> Double {
            axes.maxY - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * axes.height
        }
        var tickBottom = axes.maxY
        for v in xTickValues {
            let text = XYPanel.label(v, range: xRange)
            let s = measure(text, style.tickFont)
            let box = Rect(
                x: px(v) - s.width / 2, y: axes.maxY + Layout.tickLength + Layout.tickPad, width: s.width,
                height: s.height)
            texts.append(
                TextItem(role: .tickLabel, text: text, font: style.tickFont, box: box, rotated: false, wrapWidth: nil))
            tickBottom = max(tickBottom, box.maxY)
        }
        for v in yTickValues {
            let text = XYPanel.label(v, range: yRange)
            let s = measure(text, style.tickFont)
            texts.append(
                TextItem(
                    role: .tickLabel, text: text, font: style.tickFont,
                    box: Rect(
                        x: axes.x - Layout.tickLength - Layout.tickPad - s.width, y: py(v) - s.height / 2,
                        width: s.width, height: s.height),
                    rotated: false, wrapWidth: nil))
        }
        let xLabel = measure(self.xLabel, style.labelFont)
        let xLabelBox = Rect(
            x: axes.center.x - xLabel.width / 2, y: tickBottom + Layout.labelPad, width: xLabel.width,
            height: xLabel.height)
        texts.append(
            TextItem(
                role: .axisLabel, text: self.xLabel, font: style.labelFont, box: xLabelBox, rotated: false,
                wrapWidth: nil))
        texts.append(
            TextItem(
                role: .axisLabel, text: self.yLabel, font: style.labelFont,
                box: Rect(x: m, y: axes.center.y - yLabel.width / 2, width: yLabel.height, height: yLabel.width),
                rotated: true, wrapWidth: nil))
        // The legend under the axes, one row per series.
        var bottom = xLabelBox.maxY
        var legend: Rect?
        var swatches: [Point] = []
        if series.count > 1 {
            let rows = series.map { measure($0.label, style.legendFont) }
            let rowHeight = max(Layout.legendMarker, rows.map(\.height).max() ?? 0)
            let box = Rect(
                x: axes.x, y: bottom + Layout.labelPad,
                width: Layout.legendMarker * 2 + 4 + (rows.map(\.width).max() ?? 0) + 2 * Layout.legendPad,
                height: Double(rows.count) * rowHeight + 2 * Layout.legendPad)
            legend = box
            for (i, (s, size)) in zip(series, rows).enumerated() {
                let y = box.y + Layout.legendPad + Double(i) * rowHeight
                swatches.append(Point(box.x + Layout.legendPad + Layout.legendMarker, y + rowHeight / 2))
                texts.append(
                    TextItem(
                        role: .legendEntry, text: s.label, font: style.legendFont,
                        box: Rect(
                            x: box.x + Layout.legendPad + Layout.legendMarker * 2 + 4,
                            y: y + (rowHeight - size.height) / 2, width: size.width, height: size.height),
                        rotated: false, wrapWidth: nil))
            }
            bottom = box.maxY
            width = max(width, box.maxX + m)
        }
        return XYLayout(
            frame: Rect(x: 0, y: 0, width: width.rounded(.up), height: (bottom + m).rounded(.up)), axes: axes,
            xTicks: xTickValues.map { ($0, px($0)) }, yTicks: yTickValues.map { ($0, py($0)) },
            legend: legend, legendSwatches: swatches, texts: texts)
    }

    public func draw(_ g: XYLayout, on canvas: any Canvas) {
        let grid = RGB(0.9, 0.9, 0.9)
        canvas.lines(
            g.xTicks.map { (Point($0.x, g.axes.y), Point($0.x, g.axes.maxY)) }
                + g.yTicks.map { (Point(g.axes.x, $0.y), Point(g.axes.maxX, $0.y)) },
            grid, lineWidth: 0.5)
        for s in series {
            if let band = s.band {
                let upper = zip(s.x, band.upper).map { g.point($0, $1, panel: self) }
                let lower = zip(s.x, band.lower).map { g.point($0, $1, panel: self) }.reversed()
                let light = RGB(s.color.r * 0.3 + 0.7, s.color.g * 0.3 + 0.7, s.color.b * 0.3 + 0.7)
                if upper.count > 1 { canvas.polygon(upper + lower, fill: light, stroke: light, lineWidth: 0.1) }
            }
            let points = zip(s.x, s.y).map { g.point($0, $1, panel: self) }
            switch s.style {
            case .line:
                canvas.lines(zip(points, points.dropFirst()).map { ($0, $1) }, s.color, lineWidth: 1.4, roundCaps: true)
            case .points:
                for p in points { canvas.circle(center: p, radius: 1.6, s.color, lineWidth: 1.0) }
            }
        }
        canvas.strokeRect(g.axes, .black, lineWidth: 0.8)
        let t = Layout.tickLength
        canvas.lines(
            g.xTicks.map { (Point($0.x, g.axes.maxY), Point($0.x, g.axes.maxY + t)) }
                + g.yTicks.map { (Point(g.axes.x, $0.y), Point(g.axes.x - t, $0.y)) },
            .black, lineWidth: 0.8)
        if let legend = g.legend {
            canvas.roundedRect(
                legend, radius: 2, fill: .white, fillAlpha: 0.8, stroke: RGB(0.8, 0.8, 0.8), lineWidth: 0.8)
            for (s, c) in zip(series, g.legendSwatches) {
                switch s.style {
                case .line:
                    canvas.lines(
                        [(Point(c.x - Layout.legendMarker, c.y), Point(c.x + Layout.legendMarker * 0.5, c.y))], s.color,
                        lineWidth: 1.4, roundCaps: true)
                case .points: canvas.circle(center: c, radius: 1.6, s.color, lineWidth: 1.0)
                }
            }
        }
        for text in g.texts {
            let origin = text.rotated ? Point(text.box.x, text.box.maxY) : Point(text.box.x, text.box.y)
            canvas.text(text.text, font: text.font, at: origin, rotated: text.rotated, wrapWidth: text.wrapWidth)
        }
    }

    /// About five round ticks inside `range`.
    public static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let first = (range.lowerBound / step).rounded(.up) * step
        // Round away the float noise of repeated steps (0.6000000000000001).
        return stride(from: first, through: range.upperBound + step * 1e-9, by: step).map {
            abs($0) < step * 1e-9 ? 0 : ($0 / step).rounded() * step
        }
        .map { Double(String(format: "%.10g", $0))! }
    }

    static func label(_ v: Double, range: ClosedRange<Double>) -> String {
        let step = ticks(range).count > 1 ? ticks(range)[1] - ticks(range)[0] : 1
        return step >= 1 && v.rounded() == v ? String(Int(v)) : String(format: step >= 0.1 ? "%.1f" : "%.2f", v)
    }
}
