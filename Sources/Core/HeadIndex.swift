/// A head of the grid: `layer` is the x position, `head` the y position.
public struct HeadIndex: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let layer: Int
    public let head: Int
    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }
    public var description: String { "\(layer).\(head)" }
    public static func < (a: HeadIndex, b: HeadIndex) -> Bool { (a.layer, a.head) < (b.layer, b.head) }
}
