import Analysis
import Checkpoint
import Core
import Tokenizer

/// A byte-level BPE vocabulary built for a fixture: every word of the
/// built-in relations that GPT-2's pre-tokenizer keeps whole becomes one token
/// (merges grow it one character at a time from its leading-space prefix),
/// padded with made-up filler words to the requested size.
struct FixtureVocabulary {
    private(set) var tokens: [String] = ByteLevelBPE.byteTokensInIdOrder
    private(set) var merges: [(String, String)] = []
    private var index: [String: Int] = [:]

    static let endOfText = "<|endoftext|>"

    init() {
        for (i, t) in tokens.enumerated() { index[t] = i }
    }

    var count: Int { tokens.count + 1 }  // + <|endoftext|>

    /// Adds `" " + word` as one token (and its prefixes), when it can be one.
    @discardableResult
    mutating func addWord(_ word: String) -> Bool {
        let text = " " + word
        guard ByteLevelBPE.preTokenize(text).count == 1 else { return false }
        addChain(text, limit: .max)
        return true
    }

    /// Adds the merges that build `text` left to right, one character at a
    /// time, stopping when the vocabulary would pass `limit` entries.
    private mutating func addChain(_ text: String, limit: Int) {
        let symbols = text.utf8.map { String(ByteLevelBPE.byteToChar[Int($0)]) }
        var prefix = symbols[0]
        for symbol in symbols.dropFirst() where count < limit {
            let merged = prefix + symbol
            if index[merged] == nil {
                merges.append((prefix, symbol))
                index[merged] = tokens.count
                tokens.append(merged)
            }
            prefix = merged
        }
    }

    /// Made-up lowercase words, so the vocabulary reaches `size` entries.
    mutating func pad(to size: Int, rng: inout SplitMix64) {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        while count < size {
            let length = 3 + Int(rng.next() % 7)
            var word = ""
            for _ in 0..<length { word.append(letters[Int(rng.next() % 26)]) }
            // Prefixes only while there is room, so the size is exact.
            addChain(" " + word, limit: size)
        }
    }

    var vocabulary: [String: Int] {
        var v = index
        v[FixtureVocabulary.endOfText] = tokens.count
        return v
    }

    func vocabJSON() -> String {
        let all = tokens + [FixtureVocabulary.endOfText]
        return "{" + all.enumerated().map { "\(JSONString.quoted($0.element)): \($0.offset)" }.joined(separator: ", ")
            + "}\n"
    }

    func mergesText() -> String {
        "#version: 0.2\n" + merges.map { "\($0.0) \($0.1)\n" }.joined()
    }
}
