import CCairo
import Foundation

/// Text extents, independent of the output: hinting is off and Pango's
/// resolution is 72 dpi, so one font point is one layout unit everywhere.
enum TextMeasure {
    private static let lock = NSLock()
    // Used only under `lock`: Cairo contexts are not thread-safe.
    nonisolated(unsafe) private static let measuringSurface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
    nonisolated(unsafe) private static let measuringContext = cairo_create(measuringSurface)

    static func layout(
        for context: OpaquePointer, text: String, font: FontSpec, wrapWidth: Double? = nil
    ) -> OpaquePointer {
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
