import Core

/// Heads that an earlier paper put in one class, drawn with one marker.
public struct MarkerClass: Equatable, Sendable {
    public var label: String
    public var style: MarkerStyle
    public var heads: [HeadIndex]
    /// A control class (heads a paper tested and found not to do the thing):
    /// drawn and listed, but not counted as positives in overlap statistics.
    public var isControl: Bool
    public init(label: String, style: MarkerStyle, heads: [HeadIndex], isControl: Bool = false) {
        self.label = label
        self.style = style
        self.heads = heads
        self.isControl = isControl
    }
}
