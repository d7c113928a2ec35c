/// The order in which the vocabulary is visited: contiguous blocks (so a
/// block of `W_U` is a run of rows of the stored `[vocab, d]` matrix) in a
/// fixed shuffled order, so the first block is a fair sample of the vocabulary
/// rather than its most frequent tokens. Fixed seed: same order every run.
public struct VocabularyBlocks: Sendable {
    public let blocks: [Range<Int>]

    public init(vocabularySize: Int, blockSize: Int = 2048, seed: UInt64 = 0x4D41_5053) {
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

/// A tiny, well-known PRNG: deterministic across platforms and Swift versions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
