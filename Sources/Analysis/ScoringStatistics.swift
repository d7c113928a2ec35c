import Checkpoint
import Core
import Dispatch
import Foundation
import LinearAlgebra

/// How the scoring went, for the benchmark and for curiosity.
public struct ScoringStatistics: Sendable {
    public var headCount = 0
    public var rowsPerHead = 0
    public var blockCount = 0
    /// `decidedAfterBlocks[b]`: (head, row) pairs decided after `b + 1` blocks.
    public var decidedAfterBlocks: [Int] = []
    /// (head, row) pairs that needed the whole vocabulary.
    public var undecided = 0
    /// Heads whose own `W_O · W_U` was computed past the first vocabulary
    /// block: the hard heads, which cost what a dense product costs.
    public var denseHeads: [HeadIndex] = []
    public var flops = 0.0
    /// Summed over threads: time spent inside matrix products.
    public var denseSeconds = 0.0
    public var scoringSeconds = 0.0
}
