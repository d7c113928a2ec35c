import Core
import Foundation

public struct FigureLayout: Sendable {
    public let size: Size
    public let panels: [any PanelGeometry]
    /// The one colorbar of a figure whose panels share it.
    public var sharedColorbar: ColorbarGeometry? = nil

    /// Panel `i`'s layout when it is a heatmap.
    public func heatmap(_ i: Int) -> HeatmapLayout? { panels[i] as? HeatmapLayout }
}

/// The layout engine: sizes cells from the grid, then margins, colorbars and
/// legends from the measured text, so that nothing overlaps or leaves the
/// canvas whatever the grid (12 × 12 … 48 × 25) or the title length.
public enum Layout {

    static let margin = 8.0
    static let tickLength = 3.5
    static let tickPad = 2.5
    static let labelPad = 4.0
    static let titlePad = 6.0
    static let colorbarGap = 10.0
    static let legendInset = 4.0
    static let legendPad = 4.0
    static let legendMarker = 8.0
    static let panelGap = 12.0
    static let minimumColorbarHeight = 96.0

    /// A chart panel's title, centred over the panel and wrapped at the
    /// panel's width or 360 points, whichever is wider; widens `width` to
    /// fit it. Returns the title and the height it takes.
    static func chartTitle(_ title: String, style: FigureStyle, width: inout Double) -> (item: TextItem, height: Double)
    {
        let titleWrap = max(width - 2 * margin, min(TextMeasure.size(title, font: style.titleFont).width, 360))
        width = max(width, titleWrap + 2 * margin)
        let size = TextMeasure.size(title, font: style.titleFont, wrapWidth: titleWrap)
        let item = TextItem(
            role: .title, text: title, font: style.titleFont,
            box: Rect(x: (width - size.width) / 2, y: margin, width: size.width, height: size.height),
            rotated: false, wrapWidth: titleWrap)
        return (item, size.height)
    }

    public static func figure(_ figure: Figure) -> FigureLayout {
        // Each panel laid out at the origin, then placed on a grid whose
        // column widths and row heights are the largest of their panels.
        let local: [any PanelGeometry] = figure.panels.map { $0.layout(style: figure.style) }
        let columns = min(figure.columns, local.count)
        let rows = (local.count + columns - 1) / columns
        // Panels of one row share the top edge of their axes.
        var rowAxesTop = [Double](repeating: 0, count: rows)
        for (i, p) in local.enumerated() { rowAxesTop[i / columns] = max(rowAxesTop[i / columns], p.axes.y) }
        let drop = local.enumerated().map { i, p in rowAxesTop[i / columns] - p.axes.y }
        var widths = [Double](repeating: 0, count: columns)
        var heights = [Double](repeating: 0, count: rows)
        for (i, p) in local.enumerated() {
            widths[i % columns] = max(widths[i % columns], p.frame.width)
            heights[i / columns] = max(heights[i / columns], p.frame.height + drop[i])
        }
        var placed: [any PanelGeometry] = []
        for (i, p) in local.enumerated() {
            let x = widths[..<(i % columns)].reduce(0, +) + Double(i % columns) * panelGap
            let y = heights[..<(i / columns)].reduce(0, +) + Double(i / columns) * panelGap + drop[i]
            placed.append(p.offset(by: Point(x, y)))
        }
        var size = Size(
            widths.reduce(0, +) + Double(columns - 1) * panelGap, heights.reduce(0, +) + Double(rows - 1) * panelGap)
        // One colorbar for the whole grid: beside it, as tall as its plot areas span.
        var shared: ColorbarGeometry?
        if var bar = figure.sharedColorbar {
            let top = placed.map(\.axes.y).min() ?? 0
            let bottom = placed.map(\.axes.maxY).max() ?? 0
            bar.height = bottom - top
            let local = bar.layout(style: figure.style)
            let geometry = local.offset(by: Point(size.width + panelGap - margin, top - local.axes.y))
            shared = geometry
            size = Size(geometry.frame.maxX, max(size.height, geometry.frame.maxY))
        }
        return FigureLayout(
            size: Size(size.width.rounded(.up), size.height.rounded(.up)), panels: placed, sharedColorbar: shared)
    }

    /// Cells are square; the axes aim at about 320 × 240 points times `scale`.
    static func cellSide(layers: Int, heads: Int, scale: Double = 1) -> Double {
        min(max(min(320 * scale / Double(layers), 240 * scale / Double(heads)), 3), 24)
    }

    /// The smallest 1-2-5 step at which labels of `extent` fit in `cell`-sized slots.
    static func tickStep(count: Int, cell: Double, extent: Double) -> Int {
        for step in [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000] where Double(step) * cell >= extent {
            return step
        }
        return max(1, count)
    }

    static func panel(_ panel: HeatmapPanel, style: FigureStyle = FigureStyle()) -> HeatmapLayout {
        let (titleFont, labelFont, tickFont, legendFont) = (
            style.titleFont, style.labelFont, style.tickFont, style.legendFont
        )
        let side = cellSide(layers: panel.layers, heads: panel.heads, scale: style.scale)
        let axesSize = Size(side * Double(panel.layers), side * Double(panel.heads))
        func measure(_ s: String, _ f: FontSpec, wrap: Double? = nil) -> Size {
            TextMeasure.size(s, font: f, wrapWidth: wrap)
        }

        let widestX = measure(String(panel.layers - 1), tickFont)
        let xStep = tickStep(count: panel.layers, cell: side, extent: widestX.width + 4)
        let xTicks = Array(stride(from: 0, to: panel.layers, by: xStep))
        let lineHeight = measure("0", tickFont).height
        let yStep = tickStep(count: panel.heads, cell: side, extent: lineHeight * 0.95)
        let yTicks = Array(stride(from: 0, to: panel.heads, by: yStep))
        let yTickWidth = yTicks.map { measure(String($0), tickFont).width }.max() ?? 0

        let cbTicks = colorbarTicks(panel.range)
        let cbLabels = cbTicks.map { formatTick($0, range: panel.range) }
        let cbLabelWidth = cbLabels.map { measure($0, tickFont).width }.max() ?? 0
        let cbWidth = min(max(axesSize.height / 20, 8), 14)

        let yLabel = measure(panel.yLabel, labelFont)
        let xLabel = measure(panel.xLabel, labelFont)
        let cbAxisLabel = measure(panel.colorbarLabel, labelFont)

        let axesX = margin + yLabel.height + labelPad + yTickWidth + tickPad + tickLength
        let colorbarX = axesX + axesSize.width + colorbarGap
        let cbLabelX = colorbarX + cbWidth + tickLength + tickPad + cbLabelWidth + labelPad
        // Without its own colorbar (a figure-wide one is drawn instead) the panel ends at its axes.
        let own = panel.showsColorbar
        var contentWidth = own ? cbLabelX + cbAxisLabel.height + margin : axesX + axesSize.width + margin

        // The title stays on one line up to 360 pt, widening a narrow panel;
        // longer titles wrap (a single long word widens the panel further).
        let oneLine = measure(panel.title, titleFont).width
        let titleWrap = max(
            contentWidth - 2 * margin, min(oneLine, 360), measure(longestWord(panel.title), titleFont).width)
        contentWidth = max(contentWidth, titleWrap + 2 * margin)
        let title = measure(panel.title, titleFont, wrap: titleWrap)
        // A side label longer than the axes are high is centred on them; the
        // axes move down until it clears the title.
        // A tiny grid (1 × 1, 2 × 2) keeps a colorbar tall enough for its tick
        // labels, centred on the axes.
        let cbHeight = own ? max(axesSize.height, minimumColorbarHeight) : 0
        let cbExtra = own ? (cbHeight - axesSize.height) / 2 : 0
        let overhang = max(0, max(own ? cbAxisLabel.width : 0, yLabel.width, cbHeight) - axesSize.height) / 2
        // Values clipped by the range get a triangle past that end of the colorbar.
        let values = panel.values.joined()
        let extendsAbove = own && values.contains { $0 > panel.range.upperBound }
        let extendsBelow = own && values.contains { $0 < panel.range.lowerBound }
        let triangle = cbWidth * 1.2
        let axesY = margin + title.height + titlePad + max(overhang, cbExtra + (extendsAbove ? triangle + 2 : 0))
        let axes = Rect(x: axesX, y: axesY, width: axesSize.width, height: axesSize.height)
        // The colorbar's label may be longer than the axes are high: centre what fits.
        let colorbar =
            own
            ? Rect(x: colorbarX, y: axesY - cbExtra, width: cbWidth, height: cbHeight)
            : Rect(x: axes.maxX, y: axesY, width: 0, height: 0)
        let extensions =
            (extendsAbove ? [Rect(x: colorbarX, y: colorbar.y - triangle, width: cbWidth, height: triangle)] : [])
            + (extendsBelow ? [Rect(x: colorbarX, y: colorbar.maxY, width: cbWidth, height: triangle)] : [])
        let colorbarBottom = extensions.map(\.maxY).max().map { max($0, colorbar.maxY) } ?? colorbar.maxY

        var texts: [TextItem] = []
        let titleBox = Rect(
            x: max(margin, axes.center.x - titleWrap / 2), y: margin, width: titleWrap, height: title.height)
        contentWidth = max(contentWidth, titleBox.maxX + margin)
        texts.append(
            TextItem(
                role: .title, text: panel.title, font: titleFont, box: titleBox, rotated: false, wrapWidth: titleWrap))
        let xTickTop = axes.maxY + tickLength + tickPad
        var xTickBottom = xTickTop
        for t in xTicks {
            let s = measure(String(t), tickFont)
            let cx = axes.x + (Double(t) + 0.5) * side
            texts.append(
                TextItem(
                    role: .tickLabel, text: String(t), font: tickFont,
                    box: Rect(x: cx - s.width / 2, y: xTickTop, width: s.width, height: s.height), rotated: false,
                    wrapWidth: nil))
            xTickBottom = max(xTickBottom, xTickTop + s.height)
        }
        for t in yTicks {
            let s = measure(String(t), tickFont)
            let cy = axes.y + (Double(t) + 0.5) * side
            texts.append(
                TextItem(
                    role: .tickLabel, text: String(t), font: tickFont,
                    box: Rect(
                        x: axes.x - tickLength - tickPad - s.width, y: cy - s.height / 2, width: s.width,
                        height: s.height),
                    rotated: false, wrapWidth: nil))
        }
        let xLabelBox = Rect(
            x: axes.center.x - xLabel.width / 2, y: xTickBottom + labelPad, width: xLabel.width, height: xLabel.height)
        texts.append(
            TextItem(
                role: .axisLabel, text: panel.xLabel, font: labelFont, box: xLabelBox, rotated: false, wrapWidth: nil))
        texts.append(
            TextItem(
                role: .axisLabel, text: panel.yLabel, font: labelFont,
                box: Rect(x: margin, y: axes.center.y - yLabel.width / 2, width: yLabel.height, height: yLabel.width),
                rotated: true, wrapWidth: nil))
        for (value, label) in zip(own ? cbTicks : [], cbLabels) {
            let s = measure(label, tickFont)
            let y =
                colorbar.maxY - (value - panel.range.lowerBound) / (panel.range.upperBound - panel.range.lowerBound)
                * colorbar.height
            texts.append(
                TextItem(
                    role: .colorbarTickLabel, text: label, font: tickFont,
                    box: Rect(
                        x: colorbar.maxX + tickLength + tickPad, y: y - s.height / 2, width: s.width, height: s.height),
                    rotated: false, wrapWidth: nil))
        }
        let cbLabelBox = Rect(
            x: cbLabelX, y: colorbar.center.y - cbAxisLabel.width / 2, width: cbAxisLabel.height,
            height: cbAxisLabel.width)
        if own {
            texts.append(
                TextItem(
                    role: .colorbarLabel, text: panel.colorbarLabel, font: labelFont, box: cbLabelBox, rotated: true,
                    wrapWidth: nil))
        }

        // Legend.
        var legend: Rect?
        var entries: [(Point, MarkerStyle)] = []
        var bottom = xLabelBox.maxY
        if !panel.markers.isEmpty {
            let titleText = panel.legendTitle ?? ""
            let titleSize = titleText.isEmpty ? Size(0, 0) : measure(titleText, legendFont)
            let rows = panel.markers.map { measure($0.label, legendFont) }
            let rowHeight = max(legendMarker, rows.map(\.height).max() ?? 0)
            let width = max(titleSize.width, legendMarker + 4 + (rows.map(\.width).max() ?? 0)) + 2 * legendPad
            let height = titleSize.height + (titleText.isEmpty ? 0 : 2) + Double(rows.count) * rowHeight + 2 * legendPad
            let box = placeLegend(
                Size(width, height), panel: panel, axes: axes, side: side,
                below: max(xLabelBox.maxY, colorbarBottom) + labelPad, centerX: axes.center.x)
            legend = box
            bottom = max(bottom, box.maxY)
            contentWidth = max(contentWidth, box.maxX + margin)
            var y = box.y + legendPad
            if !titleText.isEmpty {
                texts.append(
                    TextItem(
                        role: .legendTitle, text: titleText, font: legendFont,
                        box: Rect(
                            x: box.center.x - titleSize.width / 2, y: y, width: titleSize.width,
                            height: titleSize.height),
                        rotated: false, wrapWidth: nil))
                y += titleSize.height + 2
            }
            for (marker, size) in zip(panel.markers, rows) {
                let x = box.x + legendPad
                entries.append((Point(x + legendMarker / 2, y + rowHeight / 2), marker.style))
                texts.append(
                    TextItem(
                        role: .legendEntry, text: marker.label, font: legendFont,
                        box: Rect(
                            x: x + legendMarker + 4, y: y + (rowHeight - size.height) / 2, width: size.width,
                            height: size.height),
                        rotated: false, wrapWidth: nil))
                y += rowHeight
            }
        }
        let height = max(bottom, colorbarBottom, own ? cbLabelBox.maxY : 0, axes.center.y + yLabel.width / 2) + margin
        let frame = Rect(x: 0, y: 0, width: contentWidth.rounded(.up), height: height.rounded(.up))
        return HeatmapLayout(
            frame: frame, axes: axes, cellSize: Size(side, side), xTicks: xTicks, yTicks: yTicks,
            colorbar: colorbar, colorbarTicks: own ? cbTicks : [], colorbarExtensions: extensions, legend: legend,
            legendEntries: entries, texts: texts)
    }

    /// Inside the axes in the corner whose covered cells hide the least score,
    /// like matplotlib's `loc="best"`; below the axes when asked, when it does
    /// not fit, or when every corner would hide a marked head or the best head.
    static func placeLegend(
        _ size: Size, panel: HeatmapPanel, axes: Rect, side: Double, below: Double, centerX: Double
    ) -> Rect {
        // Under the axes, centred, but never past the panel's left margin (a tiny grid is narrower than its legend).
        let underneath = Rect(
            x: max(margin, centerX - size.width / 2), y: below, width: size.width, height: size.height)
        guard panel.legendPlacement == .best,
            size.width <= axes.width - 2 * legendInset, size.height <= axes.height - 2 * legendInset
        else { return underneath }
        let marked = Set(panel.markers.flatMap(\.heads))
        var best = HeadIndex(layer: 0, head: 0)
        for l in 0..<panel.layers {
            for h in 0..<panel.heads where panel.values[l][h] > panel.values[best.layer][best.head] {
                best = HeadIndex(layer: l, head: h)
            }
        }
        let corners = [  // matplotlib's order: upper right, upper left, lower left, lower right
            Point(axes.maxX - legendInset - size.width, axes.y + legendInset),
            Point(axes.x + legendInset, axes.y + legendInset),
            Point(axes.x + legendInset, axes.maxY - legendInset - size.height),
            Point(axes.maxX - legendInset - size.width, axes.maxY - legendInset - size.height),
        ]
        var choice: (cost: (Int, Double), rect: Rect)?
        for corner in corners {
            let rect = Rect(x: corner.x, y: corner.y, width: size.width, height: size.height)
            var covered = 0.0
            var important = 0
            for l in 0..<panel.layers {
                for h in 0..<panel.heads {
                    let cell = Rect(
                        x: axes.x + Double(l) * side, y: axes.y + Double(h) * side, width: side, height: side)
                    guard cell.intersects(rect) else { continue }
                    let index = HeadIndex(layer: l, head: h)
                    covered += panel.values[l][h].isFinite ? panel.values[l][h] : 0
                    if marked.contains(index) || index == best { important += 1 }
                }
            }
            let cost = (important, covered)
            if choice == nil || cost < choice!.cost { choice = (cost, rect) }
        }
        return choice!.cost.0 == 0 ? choice!.rect : underneath
    }

    static func colorbarTicks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        let raw = span / 5
        let magnitude = pow10(floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw * 0.999 } ?? raw
        // Multiples of the step, rounded so that 3 × 0.2 prints and compares as 0.6.
        let first = Int((range.lowerBound / step).rounded(.up))
        let last = Int((range.upperBound / step + 1e-9).rounded(.down))
        return (first...max(first, last)).map { (Double($0) * step * 1e9).rounded() / 1e9 }
    }

    static func formatTick(_ v: Double, range: ClosedRange<Double>) -> String {
        let span = range.upperBound - range.lowerBound
        let decimals = span >= 5 ? 0 : span >= 0.5 ? 1 : 2
        return String(format: "%.\(decimals)f", v).replacingOccurrences(of: "-", with: "−")
    }

    static func longestWord(_ s: String) -> String {
        s.split(separator: Character(" ")).map(String.init).max { $0.count < $1.count } ?? s
    }
}

private func pow10(_ x: Double) -> Double { Foundation.pow(10, x) }
