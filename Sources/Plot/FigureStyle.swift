/// How a figure is sized: the plot areas' scale and the base font size, from
/// which every text's size follows (titles 1.2×, tick and legend labels 0.8×).
public struct FigureStyle: Sendable, Equatable {
    /// Plot areas relative to the default (about 320 × 240 pt).
    public var scale: Double
    /// Axis labels' size in points; 10 by default.
    public var fontSize: Double

    public init(scale: Double = 1, fontSize: Double = 10) {
        self.scale = scale
        self.fontSize = fontSize
    }

    public static let fontSizes: ClosedRange<Double> = 4...40

    public var titleFont: FontSpec { FontSpec(size: fontSize * 1.2) }
    public var labelFont: FontSpec { FontSpec(size: fontSize) }
    public var tickFont: FontSpec { FontSpec(size: fontSize * 0.8) }
    public var legendFont: FontSpec { FontSpec(size: fontSize * 0.8) }
}
