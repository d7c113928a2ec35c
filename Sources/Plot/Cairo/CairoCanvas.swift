import CCairo
import Foundation

/// The thin wrapper around Cairo and Pango: every C call of the plotting code
/// lives in this folder (this canvas, `TextMeasure`, `RasterImage`, `PNGEncoding`). Coordinates are
/// points; a PNG canvas scales them to pixels, a PDF canvas uses them as they are.
final class CairoCanvas: Canvas {
    private let surface: OpaquePointer
    let context: OpaquePointer
    private var vectorSink: VectorSink?

    /// A white raster canvas of `size` points at `dpi`.
    init(rasterSize size: Size, dpi: Double) {
        let scale = dpi / 72
        surface = cairo_image_surface_create(
            CAIRO_FORMAT_RGB24, Int32((size.width * scale).rounded(.up)), Int32((size.height * scale).rounded(.up)))
        context = cairo_create(surface)
        cairo_scale(context, scale, scale)
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
    }

    /// A vector canvas whose bytes end up in `data()` after `finish()`.
    /// The creation date is fixed so the same figure gives the same bytes.
    init(pdfSize size: Size, title: String) {
        let sink = VectorSink()
        vectorSink = sink
        surface = cairo_pdf_surface_create_for_stream(
            { closure, bytes, length in
                let sink = Unmanaged<VectorSink>.fromOpaque(closure!).takeUnretainedValue()
                sink.data.append(bytes!, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque(), size.width, size.height)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, "2000-01-01T00:00:00Z")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "HeadMaps")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
        context = cairo_create(surface)
    }

    /// An SVG canvas (version 1.1, units in points), bytes in `vectorData()`.
    init(svgSize size: Size) {
        let sink = VectorSink()
        vectorSink = sink
        surface = cairo_svg_surface_create_for_stream(
            { closure, bytes, length in
                Unmanaged<VectorSink>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(sink).toOpaque(), size.width, size.height)
        cairo_svg_surface_restrict_to_version(surface, CAIRO_SVG_VERSION_1_1)
        cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT)
        context = cairo_create(surface)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    final class VectorSink { var data = Data() }

    // MARK: Shapes

    func fill(_ rect: Rect, _ color: RGB, alpha: Double) {
        cairo_set_source_rgba(context, color.r, color.g, color.b, alpha)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    func roundedRect(_ rect: Rect, radius: Double, fill: RGB, fillAlpha: Double, stroke: RGB, lineWidth: Double) {
        let r = min(radius, rect.width / 2, rect.height / 2)
        cairo_new_sub_path(context)
        cairo_arc(context, rect.maxX - r, rect.minY + r, r, -Double.pi / 2, 0)
        cairo_arc(context, rect.maxX - r, rect.maxY - r, r, 0, Double.pi / 2)
        cairo_arc(context, rect.minX + r, rect.maxY - r, r, Double.pi / 2, Double.pi)
        cairo_arc(context, rect.minX + r, rect.minY + r, r, Double.pi, 1.5 * Double.pi)
        cairo_close_path(context)
        cairo_set_source_rgba(context, fill.r, fill.g, fill.b, fillAlpha)
        cairo_fill_preserve(context)
        cairo_set_source_rgb(context, stroke.r, stroke.g, stroke.b)
        cairo_set_line_width(context, lineWidth)
        cairo_stroke(context)
    }

    func strokeRect(_ rect: Rect, _ color: RGB, lineWidth: Double) {
        cairo_set_source_rgb(context, color.r, color.g, color.b)
        cairo_set_line_width(context, lineWidth)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(context)
    }

    func lines(_ segments: [(Point, Point)], _ color: RGB, lineWidth: Double, roundCaps: Bool) {
        cairo_set_source_rgb(context, color.r, color.g, color.b)
        cairo_set_line_width(context, lineWidth)
        cairo_set_line_cap(context, roundCaps ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT)
        for (a, b) in segments {
            cairo_move_to(context, a.x, a.y)
            cairo_line_to(context, b.x, b.y)
        }
        cairo_stroke(context)
    }

    func circle(center: Point, radius: Double, _ color: RGB, lineWidth: Double) {
        cairo_set_source_rgb(context, color.r, color.g, color.b)
        cairo_set_line_width(context, lineWidth)
        cairo_new_sub_path(context)
        cairo_arc(context, center.x, center.y, radius, 0, 2 * Double.pi)
        cairo_stroke(context)
    }

    func polygon(_ points: [Point], fill: RGB, stroke: RGB, lineWidth: Double) {
        guard let first = points.first else { return }
        cairo_new_path(context)
        cairo_move_to(context, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(context, p.x, p.y) }
        cairo_close_path(context)
        cairo_set_source_rgb(context, fill.r, fill.g, fill.b)
        cairo_fill_preserve(context)
        cairo_set_source_rgb(context, stroke.r, stroke.g, stroke.b)
        cairo_set_line_width(context, lineWidth)
        cairo_stroke(context)
    }

    /// Paints `pixels` (row-major, `columns` wide) stretched over `rect`, each
    /// pixel a sharp-edged block: the way imshow draws a matrix.
    func image(_ pixels: [RGB], columns: Int, rows: Int, in rect: Rect) {
        let image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(columns), Int32(rows))!
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        let stride = Int(cairo_image_surface_get_stride(image))
        let base = cairo_image_surface_get_data(image)!
        for row in 0..<rows {
            (base + row * stride).withMemoryRebound(to: UInt32.self, capacity: columns) { line in
                for col in 0..<columns {
                    let (r, g, b) = pixels[row * columns + col].bytes
                    line[col] = UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
                }
            }
        }
        cairo_surface_mark_dirty(image)
        cairo_save(context)
        cairo_translate(context, rect.x, rect.y)
        cairo_scale(context, rect.width / Double(columns), rect.height / Double(rows))
        cairo_set_source_surface(context, image, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
        cairo_rectangle(context, 0, 0, Double(columns), Double(rows))
        cairo_fill(context)
        cairo_restore(context)
    }

    // MARK: Text

    /// Draws `text` with the top-left of its logical box at `origin`;
    /// `rotated` turns it 90° counter-clockwise about that corner first, so
    /// the box then extends up from `origin` (origin is its bottom-left).
    func text(_ text: String, font: FontSpec, at origin: Point, rotated: Bool, wrapWidth: Double?, color: RGB) {
        let layout = TextMeasure.layout(for: context, text: text, font: font, wrapWidth: wrapWidth)
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        cairo_save(context)
        cairo_set_source_rgb(context, color.r, color.g, color.b)
        cairo_translate(context, origin.x, origin.y)
        if rotated { cairo_rotate(context, -Double.pi / 2) }
        pango_cairo_update_layout(context, layout)
        pango_cairo_show_layout(context, layout)
        cairo_restore(context)
    }

    // MARK: Output

    /// PNG bytes that record their resolution (a pHYs chunk), so that a
    /// 300-dpi figure opens at its size in a layout program.
    func pngData(dpi: Double) throws(FigureError) -> Data {
        try checkStatus()
        let data = PNGEncoding.data(of: surface)
        guard !data.isEmpty else { throw .cairo("the PNG encoder wrote nothing") }
        return PNGEncoding.withResolution(data, dpi: dpi)
    }

    func vectorData() throws(FigureError) -> Data {
        cairo_surface_finish(surface)
        try checkStatus()
        guard let data = vectorSink?.data, !data.isEmpty else { throw .cairo("the vector surface wrote nothing") }
        return data
    }

    /// Cairo records the first error on the surface or context and then
    /// silently draws nothing; it must not become an empty file with exit 0.
    private func checkStatus() throws(FigureError) {
        for status in [cairo_surface_status(surface), cairo_status(context)] where status != CAIRO_STATUS_SUCCESS {
            throw .cairo(String(cString: cairo_status_to_string(status)))
        }
    }

    static var cairoVersion: String { String(cString: cairo_version_string()) }
    static var pangoVersion: String { String(cString: pango_version_string()) }
}
