import Core

public enum LegendPlacement: String, Sendable {
    /// Inside the axes, in the corner that hides the least.
    case best
    /// Under the axes.
    case below
}
