import Core
import Foundation

/// BPE merge rules by priority, shared by the byte-level and the
/// SentencePiece-style tokenizers: repeatedly merge the adjacent pair with
/// the best (lowest) rank, every occurrence of it left to right.
struct MergeRanks: Sendable {
    struct Pair: Hashable {
        let left: String
        let right: String
    }

    private let ranks: [Pair: Int]

    /// - Throws: a merge whose result the vocabulary lacks (the file is inconsistent).
    init(_ merges: [(String, String)], vocabulary: [String: Int], source: String) throws {
        var ranks: [Pair: Int] = [:]
        for (rank, (left, right)) in merges.enumerated() {
            guard vocabulary[left + right] != nil else {
                throw TokenizerError.mergeOutsideVocabulary(file: source, merge: rank + 1, left: left, right: right)
            }
            // A merge listed twice ranks where it is listed last, as Hugging Face's map of merges keeps it.
            ranks[Pair(left: left, right: right)] = rank
        }
        self.ranks = ranks
    }

    func apply(_ start: [String]) -> [String] {
        var symbols = start
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for i in 0..<(symbols.count - 1) {
                if let r = ranks[Pair(left: symbols[i], right: symbols[i + 1])], best == nil || r < best!.rank {
                    best = (r, i)
                }
            }
            guard let (_, at) = best else { break }
            let (left, right) = (symbols[at], symbols[at + 1])
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count && symbols[i] == left && symbols[i + 1] == right {
                    merged.append(left + right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    /// A JSON object of token → id (`vocab.json`, a tokenizer.json's
    /// `model.vocab`): ids are non-negative integers (not `true`), each given once.
    static func vocabulary(_ object: [String: Any], file: String) throws -> [String: Int] {
        var vocabulary: [String: Int] = [:]
        var seen: [Int: String] = [:]
        for (token, value) in object {
            guard let n = value as? NSNumber, !JSONBoolean.isBoolean(n), let id = Int(exactly: n.doubleValue), id >= 0
            else {
                let shown = JSONBoolean.isBoolean(value) ? ((value as? Bool) == true ? "true" : "false") : "\(value)"
                throw TokenizerError.badId(file: file, token: Excerpt.short(token), id: Excerpt.short(shown))
            }
            if let other = seen[id] {
                throw TokenizerError.duplicateId(
                    file: file, id: id, first: Excerpt.short(other), second: Excerpt.short(token))
            }
            seen[id] = token
            vocabulary[token] = id
        }
        return vocabulary
    }
}
