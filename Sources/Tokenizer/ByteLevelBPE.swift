import Core
import Foundation
import Synchronization

/// Byte-level BPE (GPT-2, Pythia, Phi-2, Llama 3, Qwen2): text → normalised
/// → added tokens split off → pre-tokens (GPT-2's regex by default) → UTF-8
/// bytes as printable stand-in characters → merges applied by rank → ids.
public final class ByteLevelBPE: Tokenizer {
    public let vocabulary: [String: Int]
    public let files: [String]
    public let sequenceStart: [Int]
    private let tokens: [Int: String]
    private let ranks: MergeRanks
    private let normalizers: [Normalizer]
    private let preTokenizer: [PreTokenizerStep]
    private let added: AddedTokens
    /// Llama 3's `ignore_merges`: a pre-token already in the vocabulary is emitted whole.
    private let ignoreMerges: Bool
    public let count: Int
    private let cache = Mutex<[String: [Int]]>([:])
    /// Bytes with no token of their own in this vocabulary.
    public let missingBytes: [Int]
    /// What a byte without a token encodes to.
    public static let unknownID = -1

    /// - Parameters:
    ///   - vocabulary: token string (in byte-stand-in characters) → id.
    ///   - merges: merge rules, highest priority first.
    ///   - addedTokens: content → id, matched in the text before pre-tokenization.
    public init(
        vocabulary: [String: Int], merges: [(String, String)], source: String = "<memory>", files: [String] = [],
        normalizers: [Normalizer] = [], preTokenizer: [PreTokenizerStep] = [.gpt2Pattern],
        addedTokens: [String: Int] = [:], addedTokenEdges: [String: AddedTokens.Edges] = [:],
        ignoreMerges: Bool = false,
        sequenceStart: [Int] = []
    ) throws {
        self.vocabulary = vocabulary
        self.sequenceStart = sequenceStart
        self.files = files
        self.normalizers = normalizers
        self.preTokenizer = preTokenizer
        self.added = AddedTokens(addedTokens, edges: addedTokenEdges)
        self.ignoreMerges = ignoreMerges
        var tokens: [Int: String] = [:]
        for (token, id) in vocabulary { tokens[id] = token }
        self.tokens = tokens
        count = max(vocabulary.values.max() ?? -1, addedTokens.values.max() ?? -1) + 1
        ranks = try MergeRanks(merges, vocabulary: vocabulary, source: source)
        // A vocabulary may lack byte tokens (small test models do): words with
        // such bytes then encode to `unknownID` and are never single tokens.
        missingBytes = (0..<256).filter { vocabulary[String(ByteLevelBPE.byteToChar[$0])] == nil }
    }

    /// Loads `vocab.json` + `merges.txt`, or the original `encoder.json` + `vocab.bpe`.
    public convenience init(directory: String) throws {
        let names = [("vocab.json", "merges.txt"), ("encoder.json", "vocab.bpe")]
        for (v, m) in names {
            let vp = (directory as NSString).appendingPathComponent(v)
            let mp = (directory as NSString).appendingPathComponent(m)
            if FileManager.default.fileExists(atPath: vp) {
                try self.init(vocabularyFile: vp, mergesFile: mp)
                return
            }
        }
        throw TokenizerError.noFiles(folder: directory)
    }

    public convenience init(vocabularyFile: String, mergesFile: String) throws {
        let data: Data
        let text: String
        do {
            data = try InputFile.read(vocabularyFile, kind: "vocabulary file", limit: InputFile.Limit.vocabulary)
            text = try InputFile.text(mergesFile, kind: "merges file", limit: InputFile.Limit.vocabulary)
        } catch {
            throw TokenizerError.unreadable(error)
        }
        try self.init(
            vocabularyData: data, mergesText: text, vocabularyFile: vocabularyFile, mergesFile: mergesFile,
            files: [vocabularyFile, mergesFile])
    }

    public convenience init(
        vocabularyData data: Data, mergesText text: String, vocabularyFile: String = "vocab.json",
        mergesFile: String = "merges.txt", files: [String] = []
    ) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.notAVocabulary(file: vocabularyFile)
        }
        let vocabulary = try MergeRanks.vocabulary(object, file: vocabularyFile)
        var merges: [(String, String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (number == 0 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.badMergeLine(file: mergesFile, line: number + 1, text: Excerpt.short(String(line)))
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        try self.init(vocabulary: vocabulary, merges: merges, source: mergesFile, files: files)
    }

    /// Token ids; a byte that has no token in this vocabulary gives `unknownID`.
    public func encode(_ text: String) -> [Int] {
        let segments = added.segments(Normalizer.apply(normalizers, to: text))
        return segments.enumerated().flatMap { i, segment -> [Int] in
            switch segment {
            case .token(let id): return [id]
            case .text(let text):
                return PreTokenizerStep.apply(preTokenizer, to: text, atStart: i == 0).flatMap { encodeWord($0) }
            }
        }
    }

    /// The id of `text` when it encodes to exactly one known token.
    public func singleToken(_ text: String) -> Int? {
        let ids = encode(text)
        return ids.count == 1 && ids[0] != ByteLevelBPE.unknownID ? ids[0] : nil
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if let content = added.content(of: id), vocabulary[content] != id {
                bytes += Array(content.utf8)
                continue
            }
            guard let token = tokens[id] else { continue }
            for ch in token { if let b = ByteLevelBPE.charToByte[ch] { bytes.append(b) } }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func encodeWord(_ word: String) -> [Int] {
        if let hit = cache.withLock({ $0[word] }) { return hit }
        var symbols = word.utf8.map { String(ByteLevelBPE.byteToChar[Int($0)]) }
        if ignoreMerges, let whole = vocabulary[symbols.joined()] {
            cache.withLock { $0[word] = [whole] }
            return [whole]
        }
        symbols = ranks.apply(symbols)
        // Merged symbols are vocabulary tokens (merges were checked); a byte may not be.
        let ids = symbols.map { vocabulary[$0] ?? ByteLevelBPE.unknownID }
        cache.withLock { $0[word] = ids }
        return ids
    }

    // MARK: - Byte stand-ins

    /// GPT-2 maps each byte to a printable character so that BPE can work on
    /// strings: printable Latin-1 bytes stand for themselves, the rest are
    /// shifted to U+0100 onwards in byte order.
    public static let byteToChar: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var table = [Character](repeating: " ", count: 256)
        for b in printable { table[b] = Character(Unicode.Scalar(UInt32(b))!) }
        var next = 256
        for b in 0..<256 where !printable.contains(b) {
            table[b] = Character(Unicode.Scalar(UInt32(next))!)
            next += 1
            printable.append(b)
        }
        return table
    }()

    public static let charToByte: [Character: UInt8] = {
        var map: [Character: UInt8] = [:]
        for (b, c) in byteToChar.enumerated() { map[c] = UInt8(b) }
        return map
    }()

    /// The byte tokens in GPT-2's id order (ids 0…255 of its vocabulary).
    public static let byteTokensInIdOrder: [String] = {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        let rest = (0..<256).filter { !printable.contains($0) }
        return (printable + rest).map { String(byteToChar[$0]) }
    }()
}
