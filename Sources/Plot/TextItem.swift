import Core
import Foundation

/// A piece of text and the box it occupies (for rotated text, the box of the
/// turned text: as wide as a line is high).
public struct TextItem: Equatable, Sendable {
    public enum Role: String, Sendable {
        case title, axisLabel, tickLabel, colorbarTickLabel, colorbarLabel, legendTitle, legendEntry
    }
    public let role: Role
    public let text: String
    public let font: FontSpec
    public let box: Rect
    public let rotated: Bool
    /// Set when the text wraps to this width (centred lines).
    public let wrapWidth: Double?
}
