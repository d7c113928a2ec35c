import Core

/// Heads that an earlier paper put in one class, drawn with one marker.
public struct MarkerClass: Equatable, Sendable {
    public var label: String
    public var style: MarkerStyle
    public var heads: [HeadIndex]
    public init(label: String, style: MarkerStyle, heads: [HeadIndex]) {
        self.label = label
        self.style = style
        self.heads = heads
    }
}
