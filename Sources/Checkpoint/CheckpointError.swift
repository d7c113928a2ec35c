/// A problem with a checkpoint on disk, worded for the person who owns the file:
/// which file, which tensor or key, what was expected, what was found.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let message: String

    public init(_ file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
