import Core

/// The order in which the vocabulary is visited: contiguous blocks (so a
/// block of `W_U` is a run of rows of the stored `[vocab, d]` matrix) in a
/// fixed shuffled order, so the first block is a fair sample of the vocabulary
/// rather than its most frequent tokens. Fixed seed: same order every run.
public struct VocabularyBlocks: Sendable {
    public let blocks: [Range<Int>]

    public init(vocabularySize: Int, blockSize: Int = ScoringSettings.vocabularyBlock, seed: UInt64 = 0x4D41_5053) {
        precondition(blockSize > 0)
        var blocks = stride(from: 0, to: vocabularySize, by: blockSize).map { $0..<min($0 + blockSize, vocabularySize) }
        var rng = SplitMix64(seed: seed)
        // Fisher–Yates with our own generator: Swift's default is not seedable.
        if blocks.count > 1 {
            for i in stride(from: blocks.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                blocks.swapAt(i, j)
            }
        }
        self.blocks = blocks
    }
}
