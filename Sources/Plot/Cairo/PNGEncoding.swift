import CCairo
import Foundation

enum PNGEncoding {
    /// A Cairo image surface as PNG bytes.
    static func data(of surface: OpaquePointer) -> Data {
        cairo_surface_flush(surface)
        final class Box { var data = Data() }
        let box = Box()
        cairo_surface_write_to_png_stream(
            surface,
            { closure, bytes, length in
                Unmanaged<Box>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
                return CAIRO_STATUS_SUCCESS
            }, Unmanaged.passUnretained(box).toOpaque())
        return box.data
    }

    /// `png` with a pHYs chunk (pixels per metre) right after IHDR.
    static func withResolution(_ png: Data, dpi: Double) -> Data {
        let headerEnd = 8 + 4 + 4 + 13 + 4  // signature, IHDR length, type, data, CRC
        guard png.count > headerEnd else { return png }
        let perMetre = UInt32((dpi / 0.0254).rounded())
        var body = Data("pHYs".utf8)
        for _ in 0..<2 { withUnsafeBytes(of: perMetre.bigEndian) { body.append(contentsOf: $0) } }
        body.append(1)  // unit: metre
        var chunk = Data()
        withUnsafeBytes(of: UInt32(9).bigEndian) { chunk.append(contentsOf: $0) }
        chunk.append(body)
        withUnsafeBytes(of: crc32(body).bigEndian) { chunk.append(contentsOf: $0) }
        var out = png.prefix(headerEnd)
        out.append(chunk)
        out.append(png.dropFirst(headerEnd))
        return Data(out)
    }

    /// PNG's CRC-32 (ISO 3309), over the chunk type and data.
    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
