import Checkpoint
import Core
import Foundation

/// A scores file that is not a valid `headmaps.scores.v1` document.
public struct ScoresFileError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}
