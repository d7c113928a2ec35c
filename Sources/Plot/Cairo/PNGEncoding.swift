import CCairo
import Foundation

enum PNGEncoding {
    /// A Cairo image surface as PNG bytes.
    static func data(of surface: OpaquePointer) -> Data {
        cairo_surface_flush(surface)
        final class Box { var data = Data() }
        let box = Box()
        cairo_surface_write_to_png_stream(surface, { closure, bytes, length in
            Unmanaged<Box>.fromOpaque(closure!).takeUnretainedValue().data.append(bytes!, count: Int(length))
            return CAIRO_STATUS_SUCCESS
        }, Unmanaged.passUnretained(box).toOpaque())
        return box.data
    }
}
