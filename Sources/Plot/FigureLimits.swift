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
