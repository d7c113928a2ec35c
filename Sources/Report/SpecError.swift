import Core
import Foundation
import Yams

/// A problem in a YAML input, pinned to file, line and key.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int?
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(key.map { "'\($0)': " } ?? "")\(message)"
    }
}
