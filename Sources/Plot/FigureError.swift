/// Why a figure could not be drawn or read.
public enum FigureError: Error, CustomStringConvertible, Equatable {
    case invalidDPI(Double)
    case invalidFontSize(Double)
    case cannotFitWidth(inches: Double, narrowest: Double)
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
            return
                "dpi must be a number from \(Int(FigureLimits.dpi.lowerBound)) "
                + "to \(Int(FigureLimits.dpi.upperBound)), not \(dpi)"
        case .invalidFontSize(let size):
            return
                "the font size must be from \(Int(FigureStyle.fontSizes.lowerBound)) "
                + "to \(Int(FigureStyle.fontSizes.upperBound)) points, not \(size)"
        case .cannotFitWidth(let inches, let narrowest):
            return inches > 0 && inches.isFinite
                ? "the figure cannot be \(inches) in wide: with the smallest cells and this text it "
                    + "is \(String(format: "%.2f", narrowest)) in; use fewer columns or a smaller font size"
                : "the figure's width must be a positive number of inches, not \(inches)"
        case .invalidRange(let panel, let low, let high):
            return "panel '\(panel)': the value range [\(low), \(high)] must be finite numbers with low < high"
        case .textTooLong(let what, let length):
            return "\(what) is \(length) characters long; the limit is \(FigureLimits.textLength)"
        case .gridTooLarge(let panel, let layers, let heads):
            return
                "panel '\(panel)': \(layers) layers × \(heads) heads is more than the limit "
                + "of \(FigureLimits.gridSide) a side"
        case .emptyGrid(let panel): return "panel '\(panel)' has no heads to draw (0 layers or 0 heads)"
        case .nonFiniteValue(let panel, let layer, let head):
            return "panel '\(panel)': the value of head \(layer).\(head) is not a finite number"
        case .tooLarge(let width, let height):
            return
                "the figure would be \(width) × \(height) pixels, more than Cairo can draw "
                + "(\(FigureLimits.pixelsPerSide) a side, \(FigureLimits.pixels) in all); lower the dpi"
        case .cairo(let status): return "Cairo could not draw the figure: \(status)"
        case .notPNG(let path): return "\(path): not a PNG image"
        case .pngTooLarge(let path, let width, let height):
            return
                "\(path): a PNG of \(width) × \(height) pixels, more than the limit of \(FigureLimits.decodedPixels) "
                + "pixels for images compared here"
        }
    }
}
