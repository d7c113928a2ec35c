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
