import CCairo
import Foundation

/// The thin wrapper around Cairo and Pango: every C call of the plotting code
/// lives in this file. Coordinates are points; a PNG canvas scales them to
/// pixels, a PDF canvas uses them as they are.
final class CairoCanvas {
    private let surface: OpaquePointer
    let context: OpaquePointer
    private var pdfSink: PDFSink?

    /// A white raster canvas of `size` points at `dpi`.
    init(rasterSize size: Size, dpi: Double) {
        let scale = dpi / 72
        surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32((size.width * scale).rounded(.up)), Int32((size.height * scale).rounded(.up)))
        context = cairo_create(surface)
        cairo_scale(context, scale, scale)
        cairo_set_source_rgb(context, 1, 1, 1)
        cairo_paint(context)
    }

    /// A vector canvas whose bytes end up in `data()` after `finish()`.
    /// The creation date is fixed so the same figure gives the same bytes.
    init(pdfSize size: Size, title: String) {
        let sink = PDFSink()
        pdfSink = sink
        surface = cairo_pdf_surface_create_for_stream({ closure, bytes, length in
            let sink = Unmanaged<PDFSink>.fromOpaque(closure!).takeUnretainedValue()
            sink.data.append(bytes!, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(sink).toOpaque(), size.width, size.height)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, "2000-01-01T00:00:00Z")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "HeadMaps")
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
        context = cairo_create(surface)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    final class PDFSink { var data = Data() }

    // MARK: Shapes

    func fill(_ rect: Rect, _ color: RGB, alpha: Double = 1) {
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

    func lines(_ segments: [(Point, Point)], _ color: RGB, lineWidth: Double, roundCaps: Bool = false) {
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
    func text(_ text: String, font: FontSpec, at origin: Point, rotated: Bool = false, wrapWidth: Double? = nil, color: RGB = .black) {
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

    func pngData() throws(FigureError) -> Data {
        try checkStatus()
        let data = encodePNG(surface)
        guard !data.isEmpty else { throw .cairo("the PNG encoder wrote nothing") }
        return data
    }

    func pdfData() throws(FigureError) -> Data {
        cairo_surface_finish(surface)
        try checkStatus()
        guard let data = pdfSink?.data, !data.isEmpty else { throw .cairo("the PDF surface wrote nothing") }
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

/// A font as Pango names it; sizes in points.
public struct FontSpec: Equatable, Sendable {
    public var family = "DejaVu Sans"
    public var size: Double
    public var bold = false

    public init(size: Double, bold: Bool = false) {
        self.size = size
        self.bold = bold
    }

    var pangoDescription: String { "\(family)\(bold ? " Bold" : "") \(size)" }
}

/// Text extents, independent of the output: hinting is off and Pango's
/// resolution is 72 dpi, so one font point is one layout unit everywhere.
enum TextMeasure {
    private static let lock = NSLock()
    // Used only under `lock`: Cairo contexts are not thread-safe.
    nonisolated(unsafe) private static let measuringSurface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
    nonisolated(unsafe) private static let measuringContext = cairo_create(measuringSurface)

    static func layout(for context: OpaquePointer, text: String, font: FontSpec, wrapWidth: Double? = nil) -> OpaquePointer {
        let layout = pango_cairo_create_layout(context)!
        let pangoContext = pango_layout_get_context(layout)
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        pango_cairo_context_set_font_options(pangoContext, options)
        cairo_font_options_destroy(options)
        pango_cairo_context_set_resolution(pangoContext, 72)
        pango_layout_context_changed(layout)
        let description = pango_font_description_from_string(font.pangoDescription)
        pango_layout_set_font_description(layout, description)
        pango_font_description_free(description)
        if let wrapWidth {
            pango_layout_set_width(layout, Int32(wrapWidth * Double(PANGO_SCALE)))
            pango_layout_set_wrap(layout, PANGO_WRAP_WORD)
            pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER)
        }
        pango_layout_set_text(layout, text, -1)
        return layout
    }

    /// The logical size of `text`: its advance width and line height.
    static func size(_ text: String, font: FontSpec, wrapWidth: Double? = nil) -> Size {
        lock.lock()
        defer { lock.unlock() }
        let layout = layout(for: measuringContext!, text: text, font: font, wrapWidth: wrapWidth)
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        let width = wrapWidth ?? Double(logical.width) / Double(PANGO_SCALE)
        return Size(width, Double(logical.height) / Double(PANGO_SCALE))
    }
}

/// A decoded PNG as 8-bit RGB(A) pixels, read through Cairo.
public struct RasterImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, 4 bytes a pixel: r, g, b, a.
    public let rgba: [UInt8]

    public init(width: Int, height: Int, rgba: [UInt8]) {
        precondition(rgba.count == width * height * 4)
        self.width = width
        self.height = height
        self.rgba = rgba
    }

    /// Width and height from the PNG header, without decoding anything.
    public static func pngDimensions(_ data: Data) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 24, Array(data.prefix(8)) == signature, Array(data[data.startIndex + 12..<data.startIndex + 16]) == Array("IHDR".utf8) else {
            return nil
        }
        func u32(_ at: Int) -> Int { data[data.startIndex + at..<data.startIndex + at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (u32(16), u32(20))
    }

    /// Decodes a PNG file's bytes, refusing sizes past `FigureLimits.decodedPixels`
    /// before any memory is spent on them.
    public static func decode(_ data: Data, path: String) throws(FigureError) -> RasterImage {
        guard let (w, h) = pngDimensions(data) else { throw .notPNG(path: path) }
        guard w <= FigureLimits.pixelsPerSide, h <= FigureLimits.pixelsPerSide, w * h <= FigureLimits.decodedPixels else {
            throw .pngTooLarge(path: path, width: w, height: h)
        }
        guard let image = RasterImage(pngData: data) else { throw .notPNG(path: path) }
        return image
    }

    public init?(pngData data: Data) {
        guard let size = RasterImage.pngDimensions(data), size.width <= FigureLimits.pixelsPerSide,
              size.height <= FigureLimits.pixelsPerSide, size.width * size.height <= FigureLimits.decodedPixels else { return nil }
        final class Reader { var data: Data; var offset = 0; init(_ d: Data) { data = d } }
        let reader = Reader(data)
        let surface = cairo_image_surface_create_from_png_stream({ closure, buffer, length in
            let r = Unmanaged<Reader>.fromOpaque(closure!).takeUnretainedValue()
            let n = Int(length)
            guard r.offset + n <= r.data.count else { return CAIRO_STATUS_READ_ERROR }
            r.data.copyBytes(to: buffer!, from: r.offset..<(r.offset + n))
            r.offset += n
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(reader).toOpaque())!
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { return nil }
        cairo_surface_flush(surface)
        let w = Int(cairo_image_surface_get_width(surface)), h = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let hasAlpha = cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32
        let base = cairo_image_surface_get_data(surface)!
        var out = [UInt8](repeating: 0, count: w * h * 4)
        for y in 0..<h {
            for x in 0..<w {
                let p = (base + y * stride + 4 * x).withMemoryRebound(to: UInt32.self, capacity: 1) { $0.pointee }
                let a = hasAlpha ? UInt8(p >> 24) : 255
                // Cairo stores premultiplied alpha; undo it.
                func channel(_ v: UInt32) -> UInt8 {
                    let c = UInt8(truncatingIfNeeded: v)
                    return a == 0 ? 0 : a == 255 ? c : UInt8(min(255, (Int(c) * 255 + Int(a) / 2) / Int(a)))
                }
                let i = (y * w + x) * 4
                out[i] = channel(p >> 16); out[i + 1] = channel(p >> 8); out[i + 2] = channel(p); out[i + 3] = a
            }
        }
        self.init(width: w, height: h, rgba: out)
    }

    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2])
    }

    public func pngData() -> Data {
        precondition(width > 0 && height > 0 && width <= FigureLimits.pixelsPerSide && height <= FigureLimits.pixelsPerSide,
                     "images here come from decode(), which checked their size")
        let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))!
        defer { cairo_surface_destroy(surface) }
        let stride = Int(cairo_image_surface_get_stride(surface))
        let base = cairo_image_surface_get_data(surface)!
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 4
                let a = UInt32(rgba[i + 3])
                func pre(_ c: UInt8) -> UInt32 { (UInt32(c) * a + 127) / 255 }
                (base + y * stride + 4 * x).withMemoryRebound(to: UInt32.self, capacity: 1) {
                    $0.pointee = a << 24 | pre(rgba[i]) << 16 | pre(rgba[i + 1]) << 8 | pre(rgba[i + 2])
                }
            }
        }
        cairo_surface_mark_dirty(surface)
        return encodePNG(surface)
    }
}

/// A Cairo image surface as PNG bytes.
private func encodePNG(_ surface: OpaquePointer) -> Data {
    cairo_surface_flush(surface)
    final class Box { var data = Data() }
    let box = Box()
    cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
        Unmanaged<Box>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
        return CAIRO_STATUS_SUCCESS
    }, Unmanaged.passUnretained(box).toOpaque())
    return box.data
}
