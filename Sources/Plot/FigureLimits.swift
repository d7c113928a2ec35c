/// Bounds on what a figure may ask for, far beyond any paper figure, so that a
/// mistyped setting gives an error instead of a crash or an empty file.
public enum FigureLimits {
    public static let dpi: ClosedRange<Double> = 10...2400
    public static let columns = 64
    /// Cairo's image surfaces stop at 32767 pixels a side.
    public static let pixelsPerSide = 32_767
    /// A raster is at most this many pixels (4 bytes each in memory).
    public static let pixels = 100_000_000
    /// PDF viewers stop at 200 inches a side.
    public static let pdfPoints = 14_400.0
    /// Titles, labels and legend entries: a paragraph, not a book.
    public static let textLength = 500
    /// A panel's grid: far above any model's layers × heads.
    public static let gridSide = 4096
    /// PNG files read back (compare, golden checks).
    public static let decodedPixels = 64_000_000
}

/// Why a figure could not be drawn or read.
public enum FigureError: Error, CustomStringConvertible, Equatable {
    case invalidDPI(Double)
    case invalidRange(panel: String, low: Double, high: Double)
    case textTooLong(what: String, length: Int)
    case gridTooLarge(panel: String, layers: Int, heads: Int)
    case emptyGrid(panel: String)
    case nonFiniteValue(panel: String, layer: Int, head: Int)
    case tooLarge(width: Int, height: Int)
    case cairo(String)
    case notPNG(path: String)
    case pngTooLarge(path: String, width: Int, height: Int)

    public var description: String {
        switch self {
        case .invalidDPI(let dpi):
            return "dpi must be a number from \(Int(FigureLimits.dpi.lowerBound)) to \(Int(FigureLimits.dpi.upperBound)), not \(dpi)"
        case .invalidRange(let panel, let low, let high):
            return "panel '\(panel)': the value range [\(low), \(high)] must be finite numbers with low < high"
        case .textTooLong(let what, let length):
            return "\(what) is \(length) characters long; the limit is \(FigureLimits.textLength)"
        case .gridTooLarge(let panel, let layers, let heads):
            return "panel '\(panel)': \(layers) layers × \(heads) heads is more than the limit of \(FigureLimits.gridSide) a side"
        case .emptyGrid(let panel): return "panel '\(panel)' has no heads to draw (0 layers or 0 heads)"
        case .nonFiniteValue(let panel, let layer, let head): return "panel '\(panel)': the value of head \(layer).\(head) is not a finite number"
        case .tooLarge(let width, let height):
            return "the figure would be \(width) × \(height) pixels, more than Cairo can draw (\(FigureLimits.pixelsPerSide) a side, \(FigureLimits.pixels) in all); lower the dpi"
        case .cairo(let status): return "Cairo could not draw the figure: \(status)"
        case .notPNG(let path): return "\(path): not a PNG image"
        case .pngTooLarge(let path, let width, let height):
            return "\(path): a PNG of \(width) × \(height) pixels, more than the limit of \(FigureLimits.decodedPixels) pixels for images compared here"
        }
    }
}
