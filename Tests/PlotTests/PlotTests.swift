import Core
import Analysis
import Checkpoint
import Foundation
import Plot
import Report
import HeadMapsTestSupport
import XCTest

final class PlotTests: XCTestCase {
    /// A panel whose values are known per cell: value = (layer + head) / (layers + heads − 2).
    static func gradientPanel(layers: Int, heads: Int, title: String = "Test: Name Copying heads", markers: [MarkerClass] = []) -> HeatmapPanel {
        let values = (0..<layers).map { l in (0..<heads).map { h in Double(l + h) / Double(layers + heads - 2) } }
        var panel = HeatmapPanel(title: title, values: values, colorbarLabel: "Name Copying score")
        panel.markers = markers
        panel.legendTitle = markers.isEmpty ? nil : "'Circuits Components Reused' classifications"
        return panel
    }

    static func pixel(_ image: RasterImage, at p: Point, dpi: Double = 150) -> (UInt8, UInt8, UInt8) {
        image.pixel(x: Int(p.x * dpi / 72), y: Int(p.y * dpi / 72))
    }

    func testCellCentreHasTheColormapColourOfItsValue() throws {
        let figure = Figure(panels: [Self.gradientPanel(layers: 24, heads: 16)])
        let image = try XCTUnwrap(RasterImage(pngData: figure.pngData()))
        let layout = figure.layout().heatmap(0)!
        for (l, h) in [(0, 0), (23, 15), (5, 9), (12, 3)] {
            let value = Double(l + h) / 38
            let expected = Colormap.viridis.color(value, range: 0...1).bytes
            let got = Self.pixel(image, at: layout.cell(HeadIndex(layer: l, head: h)).center)
            XCTAssertTrue(got == expected, "cell \(l).\(h): \(got) != \(expected)")
        }
        XCTAssertTrue(Colormap.viridis.color(0, range: 0...1).bytes == (68, 1, 84), "viridis(0) is #440154")
        XCTAssertTrue(Colormap.viridis.color(1, range: 0...1).bytes == (253, 231, 37), "viridis(1) is #fde725")
    }

    func testValuesOutsideTheRangeAreClipped() {
        XCTAssertEqual(Colormap.viridis.color(-3, range: 0...1), Colormap.viridis.entries[0])
        XCTAssertEqual(Colormap.viridis.color(7, range: 0...1), Colormap.viridis.entries[255])
        XCTAssertEqual(Colormap.viridis.color(0.5, range: 0...1), Colormap.viridis.entries[128])
        XCTAssertEqual(Colormap.diverging.color(0, range: -1...1).bytes.0, 247, "the diverging map is white-ish at 0")
    }

    func testMarkedCellShowsTheMarkerAtItsCentre() throws {
        let marked = HeadIndex(layer: 14, head: 1)
        let panel = Self.gradientPanel(layers: 24, heads: 16, markers: [MarkerClass(label: "Mover Heads", style: .cross, heads: [marked])])
        let figure = Figure(panels: [panel])
        let image = try XCTUnwrap(RasterImage(pngData: figure.pngData()))
        let cell = figure.layout().heatmap(0)!.cell(marked)
        XCTAssertTrue(Self.pixel(image, at: cell.center) == (0, 0, 0), "black x at the centre")
        // The halo: next to the black stroke, pixels much brighter than the
        // dark cell under them.
        let dark = HeadIndex(layer: 0, head: 1)
        let onDark = Self.gradientPanel(layers: 24, heads: 16, markers: [MarkerClass(label: "Mover Heads", style: .cross, heads: [dark])])
        let darkFigure = Figure(panels: [onDark])
        let darkImage = try XCTUnwrap(RasterImage(pngData: darkFigure.pngData()))
        let c = darkFigure.layout().heatmap(0)!.cell(dark).center
        let s = 150.0 / 72
        var brightest = 0
        for dy in -4...4 {
            let p = darkImage.pixel(x: Int(c.x * s) + 6, y: Int(c.y * s) - 6 + dy)
            brightest = max(brightest, Int(min(p.0, p.1, p.2)))
        }
        XCTAssertGreaterThan(brightest, 200, "a white halo keeps the x legible on dark cells")
    }

    func testColorbarRunsFromViridisZeroAtTheBottomToViridisOneAtTheTop() throws {
        let figure = Figure(panels: [Self.gradientPanel(layers: 24, heads: 16)])
        let image = try XCTUnwrap(RasterImage(pngData: figure.pngData()))
        let bar = figure.layout().heatmap(0)!.colorbar
        let x = Int(bar.center.x * 150 / 72)
        // The first pixel rows inside the 0.8 pt frame.
        let bottom = (1...3).map { image.pixel(x: x, y: Int(bar.maxY * 150 / 72) - $0) }
        let top = (1...3).map { image.pixel(x: x, y: Int(bar.minY * 150 / 72) + $0) }
        XCTAssertTrue(bottom.contains { $0 == Colormap.viridis.entries[0].bytes }, "bottom: \(bottom)")
        XCTAssertTrue(top.contains { $0 == Colormap.viridis.entries[255].bytes }, "top: \(top)")
    }

    /// Titles, axis labels, tick labels and colorbar labels overlap neither each
    /// other nor the cells, and everything stays on the canvas.
    func testTextNeverOverlapsAndStaysOnTheCanvas() {
        let long = "GPT-2 xl: a deliberately long panel title that must wrap rather than run into its neighbour"
        for (layers, heads, title) in [(1, 1, "One head"), (2, 2, "GPT-2 small: Name Copying heads"), (4, 4, "Tiny: Country to capital heads"), (12, 12, "GPT-2: Name Copying heads"), (24, 16, "GPT-2 medium: Country to capital heads"), (48, 25, long), (24, 16, long)] {
            let panels = [Self.gradientPanel(layers: layers, heads: heads, title: title),
                          Self.gradientPanel(layers: layers, heads: heads, title: title, markers: [MarkerClass(label: "Mover Heads", style: .cross, heads: [HeadIndex(layer: 3, head: 2)])])]
            let layout = Figure(panels: panels).layout()
            let canvas = Rect(x: 0, y: 0, width: layout.size.width, height: layout.size.height)
            var boxes: [(String, Rect)] = []
            XCTAssertEqual(layout.panels[0].axes.y, layout.panels[1].axes.y, "panels of a row align their axes")
            for (i, panel) in layout.panels.compactMap({ $0 as? HeatmapLayout }).enumerated() {
                XCTAssertTrue(canvas.contains(panel.frame), "\(layers)×\(heads): panel \(i) inside the canvas")
                XCTAssertTrue(canvas.contains(panel.colorbar))
                for text in panel.texts where text.role != .legendTitle && text.role != .legendEntry {
                    XCTAssertTrue(canvas.contains(text.box), "\(layers)×\(heads): '\(text.text)' leaves the canvas")
                    XCTAssertFalse(text.box.intersects(panel.axes), "\(layers)×\(heads): '\(text.text)' covers cells")
                    XCTAssertFalse(text.box.intersects(panel.colorbar), "\(layers)×\(heads): '\(text.text)' covers the colorbar")
                    boxes.append(("\(i):\(text.text)", text.box))
                }
                if let legend = panel.legend {
                    XCTAssertTrue(canvas.contains(legend))
                    XCTAssertFalse(legend.intersects(panel.colorbar), "\(layers)×\(heads): the legend covers the colorbar")
                }
            }
            for a in 0..<boxes.count {
                for b in (a + 1)..<boxes.count {
                    XCTAssertFalse(boxes[a].1.intersects(boxes[b].1), "\(layers)×\(heads): '\(boxes[a].0)' overlaps '\(boxes[b].0)'")
                }
            }
        }
    }

    func testTickStepsFitTheGrid() {
        let medium = Figure(panels: [Self.gradientPanel(layers: 24, heads: 16)]).layout().heatmap(0)!
        XCTAssertEqual(medium.xTicks, Array(stride(from: 0, to: 24, by: 2)), "every 2 layers for 24 layers")
        XCTAssertEqual(medium.yTicks, Array(0..<16), "one tick per head")
        let xl = Figure(panels: [Self.gradientPanel(layers: 48, heads: 25)]).layout().heatmap(0)!
        XCTAssertGreaterThan(xl.xTicks[1], 2)
        XCTAssertEqual(medium.colorbarTicks, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    }

    func testLegendAvoidsMarkedAndBestCellsWhenACornerIsFree() {
        // Marks and the best cell sit in the upper right: the legend must go elsewhere.
        var panel = Self.gradientPanel(layers: 24, heads: 16, markers: [MarkerClass(label: "Mover Heads", style: .cross, heads: [HeadIndex(layer: 20, head: 1)])])
        panel.values = panel.values.map { $0.map { _ in 0.1 } }
        panel.values[22][0] = 1
        let layout = Figure(panels: [panel]).layout().heatmap(0)!
        let legend = try! XCTUnwrap(layout.legend)
        XCTAssertFalse(legend.intersects(layout.cell(HeadIndex(layer: 20, head: 1))))
        XCTAssertFalse(legend.intersects(layout.cell(HeadIndex(layer: 22, head: 0))))
        XCTAssertTrue(layout.axes.contains(legend), "inside the panel, as in the paper")
        panel.legendPlacement = .below
        let below = Figure(panels: [panel]).layout().heatmap(0)!
        XCTAssertGreaterThan(below.legend!.minY, below.axes.maxY)
    }

    func testRerenderingGivesIdenticalBytes() {
        let figure = Figure(panels: [Self.gradientPanel(layers: 12, heads: 12), Self.gradientPanel(layers: 12, heads: 12)])
        XCTAssertEqual(try figure.pngData(), try figure.pngData())
        XCTAssertEqual(try figure.pdfData(), try figure.pdfData())
        XCTAssertEqual(try figure.pngData(dpi: 300).count > figure.pngData(dpi: 150).count, true)
    }

    func testPDFHasTextAsTextInEmbeddedDejaVuSansAndMatchesThePNG() throws {
        let panel = Self.gradientPanel(layers: 24, heads: 16, title: "GPT-2 medium: Name Copying heads",
                                       markers: [MarkerClass(label: "Mover Heads", style: .cross, heads: [HeadIndex(layer: 14, head: 1)])])
        let figure = Figure(panels: [panel])
        let dir = TestSupport.temporaryDirectory("pdf")
        try figure.pdfData().write(to: URL(fileURLWithPath: dir + "/f.pdf"))
        let text = try Tools.run("pdftotext", [dir + "/f.pdf", "-"])
        for needle in ["GPT-2 medium: Name Copying heads", "Layer", "Head", "Name Copying score", "22", "15", "0.8", "Mover Heads"] {
            XCTAssertTrue(text.contains(needle), "pdftotext finds '\(needle)'")
        }
        let fonts = try Tools.run("pdffonts", [dir + "/f.pdf"])
        XCTAssertTrue(fonts.contains("DejaVuSans"), fonts)
        XCTAssertTrue(fonts.split(separator: "\n").filter { $0.contains("DejaVuSans") }.allSatisfy { $0.contains(" yes yes ") }, "embedded subsets: \(fonts)")
        let png = try XCTUnwrap(RasterImage(pngData: figure.pngData(dpi: 150)))
        // Two rasterisers of the PDF against our PNG. Glyph edges differ (poppler's
        // own text rasteriser draws them heavier), so the comparison is over
        // 4 × 4 pixel blocks (about 2 pt): that noise fades, a misplaced element stays.
        for (tool, tolerance) in [("pdftoppm", 8.0), ("pdftocairo", 4.0)] {
            _ = try Tools.run(tool, ["-r", "150", "-png", "-singlefile", dir + "/f.pdf", dir + "/" + tool])
            let raster = try XCTUnwrap(RasterImage(pngData: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(tool).png"))))
            XCTAssertEqual(raster.width, png.width, tool)
            XCTAssertEqual(raster.height, png.height, tool)
            let perPixel = ImageComparison(actual: raster, expected: png)
            let blocks = ImageComparison(actual: raster.downsampled(by: 4), expected: png.downsampled(by: 4))
            print("PDF rasterised by \(tool) vs PNG: RMS \(perPixel.rms) per pixel, \(blocks.rms) over 4 × 4 blocks")
            if blocks.rms >= tolerance { Artifacts.save(perPixel, as: "pdf-vs-png-\(tool)") }
            XCTAssertLessThan(blocks.rms, tolerance, "\(tool): the PDF rasterises to the PNG's picture")
        }
    }

    func testDiffImagesShowWhereImagesDiffer() throws {
        let figure = Figure(panels: [Self.gradientPanel(layers: 12, heads: 12)])
        let a = try XCTUnwrap(RasterImage(pngData: figure.pngData()))
        var pixels = a.rgba
        let cell = figure.layout().heatmap(0)!.cell(HeadIndex(layer: 5, head: 5))
        for y in Int(cell.minY * 150 / 72) + 2..<Int(cell.maxY * 150 / 72) - 2 {
            for x in Int(cell.minX * 150 / 72) + 2..<Int(cell.maxX * 150 / 72) - 2 { pixels[(y * a.width + x) * 4] = 255 }
        }
        let b = RasterImage(width: a.width, height: a.height, rgba: pixels)
        let same = ImageComparison(actual: a, expected: a)
        XCTAssertEqual(same.rms, 0)
        let changed = ImageComparison(actual: b, expected: a)
        XCTAssertGreaterThan(changed.rms, 0.5)
        XCTAssertFalse(changed.passes(tolerance: 0.5))
        XCTAssertGreaterThan(changed.differingPixels, 100)
        let diff = changed.diffImage()
        XCTAssertEqual(diff.pixel(x: Int(cell.center.x * 150 / 72), y: Int(cell.center.y * 150 / 72)).0, 255)
        XCTAssertEqual(diff.pixel(x: 2, y: 2).0, 0)
        let side = try XCTUnwrap(changed.sideBySide())
        XCTAssertEqual(side.width, a.width * 3 + 16)
        XCTAssertEqual(side.height, a.height + 22, "a band on top labels the panels")
        XCTAssertTrue((0..<60).contains { x in (4..<18).contains { y in side.pixel(x: x, y: y).0 < 100 } }, "'expected' is written over the first panel")
        XCTAssertTrue(ImageComparison(actual: a, expected: RasterImage(width: 3, height: 3, rgba: [UInt8](repeating: 0, count: 36))).sizeMismatch)
    }
}

/// Values a range clips are shown as such: a triangle past that end of the colorbar.
final class ColorbarExtensionTests: XCTestCase {
    func testClippedValuesExtendTheColorbarAtTheirEnd() throws {
        var panel = HeatmapPanel(title: "clipped", values: [[0.1, 0.9], [0.5, 0.3]], colorbarLabel: "score")
        XCTAssertEqual(Figure(panels: [panel]).layout().heatmap(0)!.colorbarExtensions, [], "nothing clipped by 0…1")
        panel.range = 0.2...0.5
        let figure = Figure(panels: [panel])
        let layout = try XCTUnwrap(figure.layout().heatmap(0))
        XCTAssertEqual(layout.colorbarExtensions.count, 2)
        let above = layout.colorbarExtensions[0], below = layout.colorbarExtensions[1]
        XCTAssertEqual(above.maxY, layout.colorbar.y, accuracy: 1e-9)
        XCTAssertEqual(below.y, layout.colorbar.maxY, accuracy: 1e-9)
        XCTAssertTrue(layout.texts.allSatisfy { !$0.box.intersects(above) && !$0.box.intersects(below) }, "no text under the triangles")
        let image = try XCTUnwrap(RasterImage(pngData: try figure.pngData(dpi: 144)))
        let top = Point(above.center.x * 2, (above.y + above.height * 0.7) * 2), bottom = Point(below.center.x * 2, (below.y + below.height * 0.3) * 2)
        func near(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Bool {
            abs(Int(a.0) - Int(b.0)) <= 2 && abs(Int(a.1) - Int(b.1)) <= 2 && abs(Int(a.2) - Int(b.2)) <= 2
        }
        let topPixel = image.pixel(x: Int(top.x), y: Int(top.y)), bottomPixel = image.pixel(x: Int(bottom.x), y: Int(bottom.y))
        XCTAssertTrue(near(topPixel, Colormap.viridis.entries[255].bytes), "the top triangle has the top colour: \(topPixel)")
        XCTAssertTrue(near(bottomPixel, Colormap.viridis.entries[0].bytes), "the bottom one the bottom colour: \(bottomPixel)")
    }
}

/// A figure sized for a journal: its width in inches, its base font size.
final class FigureSizeTests: XCTestCase {
    func panels() -> [HeatmapPanel] {
        (0..<2).map { i in HeatmapPanel(title: "Panel \(i)", values: (0..<24).map { l in (0..<16).map { Double(($0 + l) % 10) / 10 } }, colorbarLabel: "score") }
    }

    func testAFigureFitsAGivenWidth() throws {
        for inches in [5.5, 7.0] {
            let figure = try Figure(panels: panels()).fitted(toWidth: inches)
            let width = figure.layout().size.width
            XCTAssertLessThanOrEqual(width, inches * 72)
            XCTAssertGreaterThan(width, inches * 72 - 2, "\(inches) in: \(width) pt")
            let png = try XCTUnwrap(RasterImage(pngData: try figure.pngData(dpi: 300)))
            XCTAssertEqual(Double(png.width), inches * 300, accuracy: 10, "at 300 dpi")
        }
        XCTAssertThrowsError(try Figure(panels: panels(), columns: 2).fitted(toWidth: 0.5)) { error in
            guard case .cannotFitWidth? = error as? FigureError else { return XCTFail("\(error)") }
        }
    }

    func testTheBaseFontSizeSizesEveryText() throws {
        let small = Figure(panels: panels(), fontSize: 8).layout().heatmap(0)!, large = Figure(panels: panels(), fontSize: 14).layout().heatmap(0)!
        for role in [TextItem.Role.title, .axisLabel, .tickLabel, .colorbarLabel] {
            let a = small.texts.first { $0.role == role }!.font.size, b = large.texts.first { $0.role == role }!.font.size
            XCTAssertEqual(b / a, 14.0 / 8.0, accuracy: 1e-9, "\(role)")
        }
        XCTAssertEqual(large.texts.first { $0.role == .axisLabel }!.font.size, 14)
        XCTAssertThrowsError(try Figure(panels: panels(), fontSize: 100).pngData()) { XCTAssertEqual($0 as? FigureError, .invalidFontSize(100)) }
    }
}

/// An overview of many small maps on one scale has one colorbar, beside the grid.
final class SharedColorbarTests: XCTestCase {
    func testAGridSharesOneColorbarAsTallAsItsMaps() throws {
        let panels = (0..<6).map { i -> HeatmapPanel in
            var p = HeatmapPanel(title: "Map \(i)", values: (0..<12).map { l in (0..<12).map { Double(($0 * l + i) % 7) / 7 } }, colorbarLabel: "score")
            p.showsColorbar = false
            return p
        }
        var figure = Figure(panels: panels, columns: 3, scale: 0.5)
        figure.sharedColorbar = ColorbarPanel(label: "score")
        let layout = figure.layout()
        let bar = try XCTUnwrap(layout.sharedColorbar)
        let maps = layout.panels.compactMap { $0 as? HeatmapLayout }
        XCTAssertTrue(maps.allSatisfy { $0.colorbarTicks.isEmpty && !$0.texts.contains { $0.role == .colorbarLabel || $0.role == .colorbarTickLabel } },
                      "no panel draws a colorbar of its own")
        XCTAssertEqual(bar.axes.y, maps.map(\.axes.y).min()!, accuracy: 1e-9)
        XCTAssertEqual(bar.axes.maxY, maps.map(\.axes.maxY).max()!, accuracy: 1e-9)
        XCTAssertGreaterThan(bar.axes.x, maps.map(\.frame.maxX).max()!, "beside the grid")
        XCTAssertLessThanOrEqual(bar.frame.maxX, layout.size.width)
        let image = try XCTUnwrap(RasterImage(pngData: try figure.pngData(dpi: 72)))
        let top = image.pixel(x: Int(bar.axes.center.x), y: Int(bar.axes.y + 2))
        XCTAssertTrue(abs(Int(top.0) - 253) <= 3 && abs(Int(top.1) - 231) <= 3, "the top of the shared bar is viridis' top: \(top)")
    }
}

/// The figure seam: a panel kind the plotting layer does not know, placed
/// beside a heatmap, laid out and drawn through the same Canvas.
final class FigurePanelSeamTests: XCTestCase {
    struct SwatchGeometry: PanelGeometry {
        let frame: Rect
        let axes: Rect
        var texts: [TextItem] { [] }
        func offset(by d: Point) -> SwatchGeometry {
            SwatchGeometry(frame: Rect(x: frame.x + d.x, y: frame.y + d.y, width: frame.width, height: frame.height),
                           axes: Rect(x: axes.x + d.x, y: axes.y + d.y, width: axes.width, height: axes.height))
        }
    }

    struct SwatchPanel: FigurePanel {
        let title = "swatch"
        let color: RGB
        func validate() throws(FigureError) {}
        func layout(style: FigureStyle) -> SwatchGeometry {
            let scale = style.scale
            return SwatchGeometry(frame: Rect(x: 0, y: 0, width: 100 * scale, height: 100 * scale),
                           axes: Rect(x: 10, y: 10, width: 80 * scale, height: 80 * scale))
        }
        func draw(_ g: SwatchGeometry, on canvas: any Canvas) { canvas.fill(g.axes, color, alpha: 1) }
    }

    func testAPanelOfAnotherKindSitsBesideAHeatmap() throws {
        let heatmap = HeatmapPanel(title: "map", values: [[0.2, 0.4], [0.6, 0.8]], colorbarLabel: "score")
        let figure = Figure(panels: [heatmap, SwatchPanel(color: RGB(1, 0, 0))])
        let layout = figure.layout()
        XCTAssertNotNil(layout.heatmap(0))
        let swatch = try XCTUnwrap(layout.panels[1] as? SwatchGeometry)
        XCTAssertGreaterThan(swatch.frame.x, layout.panels[0].frame.maxX, "placed to the right of the heatmap")
        let image = try XCTUnwrap(RasterImage(pngData: try figure.pngData(dpi: 72)))
        let c = swatch.axes.center
        XCTAssertTrue(image.pixel(x: Int(c.x), y: Int(c.y)) == (255, 0, 0), "the swatch is drawn red at its own place")
    }
}
