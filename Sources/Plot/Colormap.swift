/// A 256-entry lookup table, indexed the way matplotlib indexes one: a value
/// normalised to 0...1 picks entry `floor(t · 256)`, clipped to 0...255.
public struct Colormap: Equatable, Sendable {
    public let name: String
    public let entries: [RGB]

    public init(name: String, entries: [RGB]) {
        precondition(entries.count == 256)
        self.name = name
        self.entries = entries
    }

    public static let viridis = Colormap(name: "viridis", entries: viridisTable.map { RGB($0.0, $0.1, $0.2) })

    /// Blue → white → red (matplotlib's `RdBu_r`), for signed values with the
    /// range centred on 0: ColorBrewer's 11 RdBu anchors, linearly interpolated.
    public static let diverging: Colormap = {
        let anchors: [UInt32] = [
            0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7,
            0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F,
        ]
        let colors = anchors.map {
            RGB(Double($0 >> 16) / 255, Double(($0 >> 8) & 0xFF) / 255, Double($0 & 0xFF) / 255)
        }
        let entries = (0..<256).map { i -> RGB in
            let t = Double(i) / 255 * Double(colors.count - 1)
            let lo = min(Int(t), colors.count - 2)
            let f = t - Double(lo)
            let a = colors[lo]
            let b = colors[lo + 1]
            return RGB(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
        }
        return Colormap(name: "diverging", entries: entries)
    }()

    public static func named(_ name: String) -> Colormap? {
        switch name {
        case "viridis": return .viridis
        case "diverging", "RdBu_r": return .diverging
        default: return nil
        }
    }

    public func color(normalized t: Double) -> RGB {
        guard t.isFinite else { return entries[0] }
        return entries[min(max(Int((t * 256).rounded(.down)), 0), 255)]
    }

    /// The colour of `value` on a colorbar spanning `range` (clipped).
    public func color(_ value: Double, range: ClosedRange<Double>) -> RGB {
        color(normalized: (value - range.lowerBound) / (range.upperBound - range.lowerBound))
    }
}
