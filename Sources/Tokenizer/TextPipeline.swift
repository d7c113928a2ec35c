import Foundation

/// What happens to text before BPE, as a `tokenizer.json` describes it:
/// normalisation, then pre-tokenization into pieces that merges never cross.
public enum Normalizer: Sendable, Equatable {
    case nfc
    case nfkc
    case lowercase
    case replace(pattern: String, content: String)
    case prepend(String)

    public static func apply(_ steps: [Normalizer], to text: String) -> String {
        steps.reduce(text) { text, step in
            switch step {
            case .nfc: return text.precomposedStringWithCanonicalMapping
            case .nfkc: return text.precomposedStringWithCompatibilityMapping
            case .lowercase: return text.lowercased()
            case .replace(let pattern, let content): return text.replacingOccurrences(of: pattern, with: content)
            case .prepend(let prefix): return text.isEmpty ? text : prefix + text
            }
        }
    }
}

/// One pre-tokenization step; a tokenizer runs its steps in order, each on
/// every piece the previous ones produced.
public enum PreTokenizerStep: Sendable {
    /// GPT-2's pattern (the `ByteLevel` pre-tokenizer with `use_regex`).
    case gpt2Pattern
    /// `ByteLevel`'s `add_prefix_space`: a piece not starting with a space gets one.
    case prefixSpace
    /// `Split`: pieces at the pattern's matches.
    case split(PatternRegex, behavior: SplitBehavior, invert: Bool)
    /// SentencePiece's `Metaspace`: spaces to `▁`, a `▁` in front (`always`,
    /// or `first`: only at the start of the text), pieces split before each `▁`.
    case metaspace(prepend: MetaspacePrepend, split: Bool)

    public enum MetaspacePrepend: String, Sendable {
        case always, first, never
    }

    public enum SplitBehavior: String, Sendable {
        case isolated = "Isolated"
        case removed = "Removed"
        case mergedWithPrevious = "MergedWithPrevious"
        case mergedWithNext = "MergedWithNext"
        case contiguous = "Contiguous"
    }

    /// - Parameter atStart: whether `text` begins the input (not a stretch after an added token).
    public static func apply(_ steps: [PreTokenizerStep], to text: String, atStart: Bool = true) -> [String] {
        steps.reduce([text]) { pieces, step in
            pieces.enumerated().flatMap { i, piece in step.split(piece, atStart: atStart && i == 0) }
        }
    }

    func split(_ piece: String, atStart: Bool) -> [String] {
        let space = "▁"
        switch self {
        case .metaspace(let prepend, let split):
            var t = piece.replacingOccurrences(of: " ", with: space)
            if (prepend == .always || (prepend == .first && atStart)) && !t.hasPrefix(space) { t = space + t }
            guard split else { return [t] }
            var out: [String] = []
            var current = ""
            for c in t.unicodeScalars {
                if c == "▁" && !current.isEmpty {
                    out.append(current)
                    current = ""
                }
                current.unicodeScalars.append(c)
            }
            if !current.isEmpty { out.append(current) }
            return out
        case .gpt2Pattern:
            return ByteLevelBPE.preTokenize(piece)
        case .prefixSpace:
            return [piece.hasPrefix(" ") ? piece : " " + piece]
        case .split(let regex, let behavior, let invert):
            let s = Array(piece.unicodeScalars)
            func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(s[r])) }
            // (range, is a match) for every stretch of the piece, in order.
            var stretches: [(Range<Int>, Bool)] = []
            var at = 0
            for m in regex.matches(in: s) {
                if m.lowerBound > at { stretches.append((at..<m.lowerBound, invert)) }
                stretches.append((m, !invert))
                at = m.upperBound
            }
            if at < s.count { stretches.append((at..<s.count, invert)) }
            var out: [Range<Int>] = []
            switch behavior {
            case .isolated:
                out = stretches.map(\.0)
            case .removed:
                out = stretches.filter { !$0.1 }.map(\.0)
            case .mergedWithPrevious:
                for (r, isMatch) in stretches {
                    if isMatch, let last = out.last {
                        out[out.count - 1] = last.lowerBound..<r.upperBound
                    } else {
                        out.append(r)
                    }
                }
            case .mergedWithNext:
                var pending: Int?
                for (r, isMatch) in stretches {
                    if isMatch {
                        pending = pending ?? r.lowerBound
                        continue
                    }
                    out.append((pending ?? r.lowerBound)..<r.upperBound)
                    pending = nil
                }
                if let p = pending { out.append(p..<s.count) }
            case .contiguous:
                var previousWasMatch = false
                for (r, isMatch) in stretches {
                    if isMatch && previousWasMatch, let last = out.last {
                        out[out.count - 1] = last.lowerBound..<r.upperBound
                    } else {
                        out.append(r)
                    }
                    previousWasMatch = isMatch
                }
            }
            return out.filter { !$0.isEmpty }.map(text)
        }
    }
}

/// Tokens matched in the text before anything else (special tokens, and
/// tokenizer-specific ones such as GPT-NeoX's runs of spaces): leftmost
/// match, longest first, as Hugging Face's added vocabulary does, with each
/// token's `lstrip`, `rstrip` and `single_word`.
public struct AddedTokens: Sendable {
    /// How a token meets the text around it.
    public struct Edges: Sendable, Equatable {
        /// The whitespace before the token is part of its match.
        public var lstrip = false
        /// The whitespace after it is part of its match.
        public var rstrip = false
        /// It matches only between non-word characters (not inside a word).
        public var singleWord = false

        public init(lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false) {
            self.lstrip = lstrip
            self.rstrip = rstrip
            self.singleWord = singleWord
        }
    }

    public let ids: [String: Int]
    private let edges: [String: Edges]
    private let contents: [Int: String]
    private let byFirstScalar: [Unicode.Scalar: [[Unicode.Scalar]]]

    public init(_ ids: [String: Int], edges: [String: Edges] = [:]) {
        self.ids = ids
        self.edges = edges
        contents = Dictionary(ids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var index: [Unicode.Scalar: [[Unicode.Scalar]]] = [:]
        for token in ids.keys {
            let s = Array(token.unicodeScalars)
            if let first = s.first { index[first, default: []].append(s) }
        }
        byFirstScalar = index.mapValues { $0.sorted { $0.count > $1.count } }
    }

    public var isEmpty: Bool { ids.isEmpty }

    public func content(of id: Int) -> String? { contents[id] }

    /// The text as segments: `.text` to tokenize, `.token` an added token's id.
    public func segments(_ text: String) -> [Segment] {
        guard !ids.isEmpty else { return [.text(text)] }
        let s = Array(text.unicodeScalars)
        var out: [Segment] = []
        var plain = 0
        var i = 0
        func flush(_ end: Int) {
            if end > plain { out.append(.text(String(String.UnicodeScalarView(s[plain..<end])))) }
        }
        func isWord(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c.properties.numericType != nil || c == "_"
        }
        while i < s.count {
            // The longest token at i; one that must stand alone as a word and does not is no match.
            if let candidates = byFirstScalar[s[i]],
                let hit = candidates.first(where: { i + $0.count <= s.count && Array(s[i..<(i + $0.count)]) == $0 })
            {
                let content = String(String.UnicodeScalarView(hit))
                let edge = edges[content] ?? Edges()
                var start = i
                var end = i + hit.count
                if edge.singleWord && ((start > 0 && isWord(s[start - 1])) || (end < s.count && isWord(s[end]))) {
                    i += 1
                    continue
                }
                if edge.lstrip { while start > plain && s[start - 1].properties.isWhitespace { start -= 1 } }
                if edge.rstrip { while end < s.count && s[end].properties.isWhitespace { end += 1 } }
                flush(start)
                out.append(.token(ids[content]!))
                i = end
                plain = i
            } else {
                i += 1
            }
        }
        flush(s.count)
        return out
    }

    public enum Segment: Equatable {
        case text(String)
        case token(Int)
    }
}
