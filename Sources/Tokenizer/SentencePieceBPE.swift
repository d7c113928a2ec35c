import Foundation
import Synchronization

/// SentencePiece-style BPE as a `tokenizer.json` describes it (Gemma,
/// Mistral v0.1, Llama 2): spaces become `▁`, merges run over Unicode
/// characters, and a character the vocabulary lacks falls back to its UTF-8
/// bytes as `<0xNN>` tokens (or to the unknown token).
public final class SentencePieceBPE: Tokenizer {
    public let vocabulary: [String: Int]
    public let files: [String]
    public let sequenceStart: [Int]
    public let count: Int
    private let tokens: [Int: String]
    private let ranks: MergeRanks
    private let normalizers: [Normalizer]
    private let preTokenizer: [PreTokenizerStep]
    private let added: AddedTokens
    private let byteFallback: Bool
    private let unknownID: Int?
    private let fuseUnknown: Bool
    private let cache = Mutex<[String: [Int]]>([:])

    public static let space = "▁"

    public init(
        vocabulary: [String: Int], merges: [(String, String)], source: String = "<memory>", files: [String] = [],
        normalizers: [Normalizer] = [], preTokenizer: [PreTokenizerStep] = [], addedTokens: [String: Int] = [:],
        addedTokenEdges: [String: AddedTokens.Edges] = [:], byteFallback: Bool = true, unknownToken: String? = nil,
        fuseUnknown: Bool = false, sequenceStart: [Int] = []
    ) throws {
        self.vocabulary = vocabulary
        self.sequenceStart = sequenceStart
        self.files = files
        self.normalizers = normalizers
        self.preTokenizer = preTokenizer
        self.added = AddedTokens(addedTokens, edges: addedTokenEdges)
        self.byteFallback = byteFallback
        self.unknownID = unknownToken.flatMap { vocabulary[$0] ?? addedTokens[$0] }
        self.fuseUnknown = fuseUnknown
        var tokens: [Int: String] = [:]
        for (token, id) in vocabulary { tokens[id] = token }
        self.tokens = tokens
        ranks = try MergeRanks(merges, vocabulary: vocabulary, source: source)
        count = max(vocabulary.values.max() ?? -1, addedTokens.values.max() ?? -1) + 1
    }

    public func encode(_ text: String) -> [Int] {
        let segments = added.segments(Normalizer.apply(normalizers, to: text))
        return segments.enumerated().flatMap { i, segment -> [Int] in
            switch segment {
            case .token(let id): return [id]
            case .text(let text):
                return PreTokenizerStep.apply(preTokenizer, to: text, atStart: i == 0).flatMap(encodePiece)
            }
        }
    }

    /// A word inside a sentence is `▁word` in every SentencePiece vocabulary,
    /// whatever the normalizer does to a leading space (Llama 2 prepends one
    /// more `▁`, Gemma does not).
    public func wordToken(_ word: String) -> Int? {
        let ids = encodePiece(SentencePieceBPE.space + word.replacingOccurrences(of: " ", with: SentencePieceBPE.space))
        return ids.count == 1 && ids[0] != ByteLevelBPE.unknownID && ids[0] != unknownID ? ids[0] : nil
    }

    public func singleToken(_ text: String) -> Int? {
        let ids = encode(text)
        return ids.count == 1 && ids[0] != ByteLevelBPE.unknownID && ids[0] != unknownID ? ids[0] : nil
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let token = tokens[id] ?? added.content(of: id) else { continue }
            if let byte = SentencePieceBPE.byteValue(token) {
                bytes.append(byte)
                continue
            }
            bytes += Array(token.replacingOccurrences(of: SentencePieceBPE.space, with: " ").utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func encodePiece(_ piece: String) -> [Int] {
        if let hit = cache.withLock({ $0[piece] }) { return hit }
        var symbols: [String] = []
        for c in piece.unicodeScalars {
            let s = String(c)
            if vocabulary[s] != nil || !byteFallback {
                symbols.append(s)
            } else {
                let bytes = s.utf8.map { String(format: "<0x%02X>", $0) }
                symbols += bytes.allSatisfy { vocabulary[$0] != nil } ? bytes : [s]
            }
        }
        var ids: [Int] = []
        for symbol in ranks.apply(symbols) {
            let id = vocabulary[symbol] ?? unknownID ?? ByteLevelBPE.unknownID
            if fuseUnknown, id == unknownID, ids.last == unknownID { continue }
            ids.append(id)
        }
        cache.withLock { $0[piece] = ids }
        return ids
    }

    /// `<0xNN>` → NN.
    static func byteValue(_ token: String) -> UInt8? {
        guard token.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        return UInt8(token.dropFirst(3).prefix(2), radix: 16)
    }
}
