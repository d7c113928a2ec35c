import Foundation

/// SentencePiece with piece scores, as llama.cpp runs the `llama` tokenizer of
/// a GGUF file (Gemma, Llama 2, Mistral v0.1 converted to GGUF): spaces become
/// `▁`, the text starts as its characters, the adjacent pair whose merged
/// piece has the highest score (the leftmost among equals) merges while any
/// merged piece is in the vocabulary, and a piece that is no token falls back
/// to its UTF-8 bytes as `<0xNN>` tokens.
public final class ScoredSentencePiece: Tokenizer {
    public let files: [String]
    public let sequenceStart: [Int]
    public let count: Int
    /// Keyed by UTF-8 bytes: Swift's `String` equality is canonical
    /// equivalence, which would make Gemma's ';' (U+003B) and ';' (U+037E) one key.
    private let ids: [[UInt8]: Int]
    private let pieces: [String]
    private let scores: [Float]
    /// The `<0xNN>` token of each byte (or the unknown token, or -1).
    private let byteTokens: [Int]
    private let added: AddedTokens
    private let addSpacePrefix: Bool

    /// - Parameters:
    ///   - pieces: token texts by id (`▁` for a space, `<0xNN>` for bytes).
    ///   - addedTokens: matched whole in the text before anything else.
    ///   - addSpacePrefix: a text (and each stretch after an added token) starts with a space.
    public init(
        pieces: [String], scores: [Float], addedTokens: [String: Int] = [:], addSpacePrefix: Bool, unknownID: Int?,
        files: [String] = [], sequenceStart: [Int] = []
    ) {
        precondition(pieces.count == scores.count)
        self.pieces = pieces
        self.scores = scores
        var ids: [[UInt8]: Int] = [:]
        for (id, piece) in pieces.enumerated() { ids[Array(piece.utf8)] = id }
        self.ids = ids
        byteTokens = (0..<256).map { ids[Array(String(format: "<0x%02X>", $0).utf8)] ?? unknownID ?? -1 }
        added = AddedTokens(addedTokens)
        self.addSpacePrefix = addSpacePrefix
        self.files = files
        self.sequenceStart = sequenceStart
        count = pieces.count
    }

    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        var afterSpecial = true
        for segment in added.segments(text) {
            switch segment {
            case .token(let id):
                out.append(id)
                afterSpecial = true
            case .text(let stretch):
                let spaced = (addSpacePrefix && afterSpecial ? " " : "") + stretch
                out += encodePiece(Array(spaced.replacingOccurrences(of: " ", with: SentencePieceBPE.space).utf8))
                afterSpecial = false
            }
        }
        return out
    }

    public func singleToken(_ text: String) -> Int? {
        let ids = encode(text)
        return ids.count == 1 && ids[0] >= 0 ? ids[0] : nil
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < pieces.count {
            let piece = pieces[id]
            if let byte = SentencePieceBPE.byteValue(piece) {
                bytes.append(byte)
                continue
            }
            bytes += Array(piece.replacingOccurrences(of: SentencePieceBPE.space, with: " ").utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private struct Symbol {
        var start: Int, length: Int, previous: Int, next: Int
    }

    private struct Bigram {
        let score: Float, left: Int, right: Int, length: Int
        /// Heap order: the higher score first, then the leftmost.
        func precedes(_ other: Bigram) -> Bool { score != other.score ? score > other.score : left < other.left }
    }

    private func encodePiece(_ bytes: [UInt8]) -> [Int] {
        var symbols: [Symbol] = []
        var offset = 0
        while offset < bytes.count {
            let lead = bytes[offset]
            let width = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            let n = min(width, bytes.count - offset)
            symbols.append(
                Symbol(
                    start: offset, length: n, previous: symbols.count - 1,
                    next: offset + n < bytes.count ? symbols.count + 1 : -1))
            offset += n
        }
        var heap: [Bigram] = []
        func text(_ start: Int, _ length: Int) -> [UInt8] { Array(bytes[start..<(start + length)]) }
        func push(_ b: Bigram) {
            heap.append(b)
            var i = heap.count - 1
            while i > 0, heap[i].precedes(heap[(i - 1) / 2]) {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }
        func pop() -> Bigram {
            let top = heap[0]
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < heap.count, heap[l].precedes(heap[best]) { best = l }
                if r < heap.count, heap[r].precedes(heap[best]) { best = r }
                if best == i { return top }
                heap.swapAt(i, best)
                i = best
            }
        }
        func tryPair(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let length = symbols[left].length + symbols[right].length
            let piece = text(symbols[left].start, length)
            guard let id = ids[piece] else { return }
            push(Bigram(score: scores[id], left: left, right: right, length: length))
        }
        for i in symbols.indices.dropFirst() { tryPair(i - 1, i) }
        while !heap.isEmpty {
            let b = pop()
            // A pair one of whose symbols has merged since is stale.
            guard symbols[b.left].length > 0, symbols[b.right].length > 0,
                symbols[b.left].length + symbols[b.right].length == b.length
            else { continue }
            symbols[b.left].length += symbols[b.right].length
            symbols[b.right].length = 0
            symbols[b.left].next = symbols[b.right].next
            if symbols[b.right].next >= 0 { symbols[symbols[b.right].next].previous = b.left }
            tryPair(symbols[b.left].previous, b.left)
            tryPair(b.left, symbols[b.left].next)
        }
        // Merges only ever form vocabulary pieces, so a symbol is a token,
        // or a character the vocabulary lacks: its bytes.
        var out: [Int] = []
        var i = symbols.isEmpty ? -1 : 0
        while i >= 0 {
            let symbol = symbols[i]
            if let id = ids[text(symbol.start, symbol.length)] {
                out.append(id)
            } else {
                for b in bytes[symbol.start..<(symbol.start + symbol.length)] { out.append(byteTokens[Int(b)]) }
            }
            i = symbol.next
        }
        return out
    }
}
