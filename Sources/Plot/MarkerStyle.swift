import Core

public enum MarkerStyle: String, Sendable, CaseIterable {
    case cross = "x"
    case circle = "o"
}
