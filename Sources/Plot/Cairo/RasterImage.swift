import CCairo
import Foundation

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
        guard data.count >= 24, Array(data.prefix(8)) == signature,
            Array(data[data.startIndex + 12..<data.startIndex + 16]) == Array("IHDR".utf8)
        else {
            return nil
        }
        func u32(_ at: Int) -> Int {
            data[data.startIndex + at..<data.startIndex + at + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        return (u32(16), u32(20))
    }

    /// Decodes a PNG file's bytes, refusing sizes past `FigureLimits.decodedPixels`
    /// before any memory is spent on them.
    public static func decode(_ data: Data, path: String) throws(FigureError) -> RasterImage {
        try checkSize(data, path: path)
        guard let image = RasterImage(pngData: data) else { throw .notPNG(path: path) }
        return image
    }

    /// A PNG header within the limits, or the error that says why not.
    static func checkSize(_ data: Data, path: String) throws(FigureError) {
        guard let (w, h) = pngDimensions(data) else { throw .notPNG(path: path) }
        guard w <= FigureLimits.pixelsPerSide, h <= FigureLimits.pixelsPerSide, w * h <= FigureLimits.decodedPixels
        else {
            throw .pngTooLarge(path: path, width: w, height: h)
        }
    }

    public init?(pngData data: Data) {
        guard (try? RasterImage.checkSize(data, path: "")) != nil else { return nil }
        final class Reader {
            var data: Data
            var offset = 0
            init(_ d: Data) { data = d }
        }
        let reader = Reader(data)
        let surface = cairo_image_surface_create_from_png_stream(
            { closure, buffer, length in
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
        let w = Int(cairo_image_surface_get_width(surface))
        let h = Int(cairo_image_surface_get_height(surface))
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
                out[i] = channel(p >> 16)
                out[i + 1] = channel(p >> 8)
                out[i + 2] = channel(p)
                out[i + 3] = a
            }
        }
        self.init(width: w, height: h, rgba: out)
    }

    /// The image with `captions` written in its top band (left edges at `x`).
    func captioned(_ captions: [(x: Int, text: String)]) -> RasterImage {
        let canvas = CairoCanvas(rasterSize: Size(Double(width), Double(height)), dpi: 72)
        let pixels = (0..<(width * height)).map {
            RGB(Double(rgba[4 * $0]) / 255, Double(rgba[4 * $0 + 1]) / 255, Double(rgba[4 * $0 + 2]) / 255)
        }
        canvas.image(
            pixels, columns: width, rows: height, in: Rect(x: 0, y: 0, width: Double(width), height: Double(height)))
        for caption in captions {
            canvas.text(caption.text, font: FontSpec(size: 11, bold: true), at: Point(Double(caption.x), 4))
        }
        guard let data = try? canvas.pngData(dpi: 72), let image = RasterImage(pngData: data) else { return self }
        return image
    }

    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 4
        return (rgba[i], rgba[i + 1], rgba[i + 2])
    }

    public func pngData() -> Data {
        precondition(
            width > 0 && height > 0 && width <= FigureLimits.pixelsPerSide && height <= FigureLimits.pixelsPerSide,
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
        return PNGEncoding.data(of: surface)
    }
}
