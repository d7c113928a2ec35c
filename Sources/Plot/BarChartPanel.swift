import Core
import Foundation

/// Horizontal bars, one row per label: a head's relation profile (its score
/// for every relation, coloured by the heatmaps' colormap so a bar matches the
/// cell it came from) with a thin dark bar beneath for a second value (the
/// suppression score).
public struct BarChartPanel: Sendable {
    public var title: String
    public var labels: [String]
    public var values: [Double]
    /// Drawn as thin bars under the main ones; nil for none.
    public var secondary: [Double]?
    public var xLabel: String
    public var range: ClosedRange<Double> = 0...1
    public var colormap = Colormap.viridis

    public init(title: String, labels: [String], values: [Double], secondary: [Double]? = nil, xLabel: String) {
        self.title = title
        self.labels = labels
        self.values = values
        self.secondary = secondary
        self.xLabel = xLabel
    }
}

/// Where everything of a bar chart goes, in points.
public struct BarChartLayout: PanelGeometry {
    public let frame: Rect
    public let axes: Rect
    /// One per label, top to bottom: the main bar and the thin one under it.
    public let bars: [Rect]
    public let secondaryBars: [Rect]
    public let xTicks: [(value: Double, x: Double)]
    public let texts: [TextItem]

    public func offset(by d: Point) -> BarChartLayout {
        func move(_ r: Rect) -> Rect { Rect(x: r.x + d.x, y: r.y + d.y, width: r.width, height: r.height) }
        return BarChartLayout(
            frame: move(frame), axes: move(axes), bars: bars.map(move), secondaryBars: secondaryBars.map(move),
            xTicks: xTicks.map { ($0.value, $0.x + d.x) },
            texts: texts.map {
                TextItem(
                    role: $0.role, text: $0.text, font: $0.font, box: move($0.box), rotated: $0.rotated,
                    wrapWidth: $0.wrapWidth)
            })
    }
}

extension BarChartPanel: FigurePanel {
    public func validate() throws(FigureError) {
        for (what, text) in [("a panel title", title), ("an axis label", xLabel)] + labels.map({ ("a bar label", $0) })
        where text.count > FigureLimits.textLength {
            throw .textTooLong(what: what, length: text.count)
        }
        guard !labels.isEmpty, labels.count == values.count, secondary.map({ $0.count == values.count }) ?? true else {
            throw .emptyGrid(panel: title)
        }
        guard labels.count <= FigureLimits.gridSide else {
            throw .gridTooLarge(panel: title, layers: labels.count, heads: 1)
        }
        let low = range.lowerBound
        let high = range.upperBound
        guard low.isFinite, high.isFinite, low < high else { throw .invalidRange(panel: title, low: low, high: high) }
        for (i, v) in (values + (secondary ?? [])).enumerated() where !v.isFinite {
            throw .nonFiniteValue(panel: title, layer: i % values.count, head: 0)
        }
    }

    public func layout(style: FigureStyle) -> BarChartLayout {
        let m = Layout.margin
        func measure(_ s: String, _ f: FontSpec, wrap: Double? = nil) -> Size {
            TextMeasure.size(s, font: f, wrapWidth: wrap)
        }
        let line = measure("Ag", style.tickFont).height
        let rowHeight = max(line * 1.25, 10 * style.scale)
        let labelWidth = labels.map { measure($0, style.tickFont).width }.max() ?? 0
        let axesWidth = 220 * style.scale
        let axesX = m + labelWidth + Layout.tickPad + Layout.tickLength
        var width = axesX + axesWidth + m + measure("1.00", style.tickFont).width / 2
        let (titleItem, titleHeight) = Layout.chartTitle(title, style: style, width: &width)
        var texts = [titleItem]
        let axes = Rect(
            x: axesX, y: m + titleHeight + Layout.titlePad, width: axesWidth,
            height: rowHeight * Double(labels.count))
        func x(_ v: Double) -> Double {
            axes.x + axesWidth
                * ((min(max(v, range.lowerBound), range.upperBound) - range.lowerBound)
                    / (range.upperBound - range.lowerBound))
        }
        var bars: [Rect] = []
        var secondaryBars: [Rect] = []
        for (i, label) in labels.enumerated() {
            let top = axes.y + Double(i) * rowHeight
            let mainHeight = rowHeight * (secondary == nil ? 0.7 : 0.55)
            bars.append(Rect(x: axes.x, y: top + rowHeight * 0.1, width: x(values[i]) - axes.x, height: mainHeight))
            if let secondary {
                secondaryBars.append(
                    Rect(
                        x: axes.x, y: top + rowHeight * 0.1 + mainHeight + rowHeight * 0.05,
                        width: x(secondary[i]) - axes.x, height: rowHeight * 0.15))
            }
            let size = measure(label, style.tickFont)
            texts.append(
                TextItem(
                    role: .tickLabel, text: label, font: style.tickFont,
                    box: Rect(
                        x: axes.x - Layout.tickLength - Layout.tickPad - size.width,
                        y: top + (rowHeight - size.height) / 2,
                        width: size.width, height: size.height), rotated: false, wrapWidth: nil))
        }
        let steps = 5
        let ticks = (0...steps).map { i -> (Double, Double) in
            let v = range.lowerBound + (range.upperBound - range.lowerBound) * Double(i) / Double(steps)
            return (v, x(v))
        }
        var y = axes.maxY + Layout.tickLength + Layout.tickPad
        var tickHeight = 0.0
        for (v, tx) in ticks {
            let text = Layout.formatTick(v, range: range)
            let size = measure(text, style.tickFont)
            texts.append(
                TextItem(
                    role: .tickLabel, text: text, font: style.tickFont,
                    box: Rect(x: tx - size.width / 2, y: y, width: size.width, height: size.height), rotated: false,
                    wrapWidth: nil))
            tickHeight = max(tickHeight, size.height)
        }
        y += tickHeight + Layout.labelPad
        let label = measure(xLabel, style.labelFont)
        texts.append(
            TextItem(
                role: .axisLabel, text: xLabel, font: style.labelFont,
                box: Rect(x: axes.center.x - label.width / 2, y: y, width: label.width, height: label.height),
                rotated: false, wrapWidth: nil))
        let frame = Rect(x: 0, y: 0, width: width.rounded(.up), height: (y + label.height + m).rounded(.up))
        return BarChartLayout(
            frame: frame, axes: axes, bars: bars, secondaryBars: secondaryBars, xTicks: ticks.map { ($0.0, $0.1) },
            texts: texts)
    }

    public func draw(_ g: BarChartLayout, on canvas: any Canvas) {
        // Light grid lines at the ticks, then the bars, then the frame and ticks on top.
        canvas.lines(
            g.xTicks.map { (Point($0.x, g.axes.y), Point($0.x, g.axes.maxY)) }, RGB(0.88, 0.88, 0.88), lineWidth: 0.6)
        for (i, bar) in g.bars.enumerated() where bar.width > 0 {
            canvas.fill(bar, colormap.color(values[i], range: range), alpha: 1)
        }
        for bar in g.secondaryBars where bar.width > 0 { canvas.fill(bar, RGB(0.25, 0.25, 0.25), alpha: 1) }
        canvas.strokeRect(g.axes, .black, lineWidth: 0.8)
        canvas.lines(
            g.xTicks.map { (Point($0.x, g.axes.maxY), Point($0.x, g.axes.maxY + Layout.tickLength)) }, .black,
            lineWidth: 0.8)
        for text in g.texts {
            canvas.text(
                text.text, font: text.font, at: Point(text.box.x, text.box.y), rotated: false, wrapWidth: text.wrapWidth
            )
        }
    }
}

extension Double {
    func clamped(to r: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, r.lowerBound), r.upperBound) }
}
