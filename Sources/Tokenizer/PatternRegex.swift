/// The regular expressions of `tokenizer.json` pre-tokenizers, matched the way
/// Oniguruma (which Hugging Face tokenizers uses) matches them: leftmost
/// match, alternatives tried in order, greedy quantifiers with backtracking.
///
/// Written here, on Unicode scalars, rather than with Foundation's regex so
/// that `\p{L}`, `\p{N}`, `\s`, lookahead and `(?i:…)` mean the same on every
/// platform. It covers the constructs these files use: literals and escapes,
/// classes with ranges, negation and `\p{…}`, `.`, groups `(…)`, `(?:…)`,
/// `(?i:…)`, lookahead `(?=…)` / `(?!…)`, alternation, `? * + {m} {m,} {m,n}`
/// (greedy, or lazy with a trailing `?`), and `^` / `$`.
public struct PatternRegex: Sendable {
    public let pattern: String
    private let root: Node

    public init(_ pattern: String) throws(PatternRegexError) {
        self.pattern = pattern
        var parser = Parser(scalars: Array(pattern.unicodeScalars), pattern: pattern)
        root = try parser.parseAll()
    }

    /// Every leftmost, non-overlapping match, as scalar ranges (an empty match
    /// moves the search one scalar on, as Oniguruma's scanner does).
    public func matches(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        matches(in: Subject(scalars))
    }

    /// Backtracking can take exponential time on a pathological pattern
    /// (`(a*)*b`); a search gives up after this many steps per scalar, and
    /// `checkCost` refuses such a pattern when its file is read.
    static let stepsPerScalar = 20_000

    /// Throws when the pattern needs more than the step budget on short
    /// probe texts: a pattern that would make tokenizing hang.
    public func checkCost() throws(PatternRegexError) {
        let probes = [
            String(repeating: "a", count: 40) + "!", String(repeating: " ", count: 40) + "x",
            String(repeating: "1", count: 40), String(repeating: "ab1 ", count: 10) + "\n\n",
            String(repeating: "'s", count: 20),
        ]
        for probe in probes {
            let subject = Subject(Array(probe.unicodeScalars))
            _ = matches(in: subject)
            if subject.exhausted {
                throw PatternRegexError(
                    pattern: pattern, position: 0,
                    problem:
                        "the pattern backtracks too much to be used (over \(subject.limit) steps on "
                        + "a \(probe.unicodeScalars.count)-character text)"
                )
            }
        }
    }

    private func matches(in subject: Subject) -> [Range<Int>] {
        let scalars = subject.s
        var out: [Range<Int>] = []
        var start = 0
        while start <= scalars.count && !subject.exhausted {
            var end: Int?
            _ = root.match(subject, start) {
                end = $0
                return true
            }
            if let end {
                // An empty match is a match (a Split splits there), as Hugging Face's regex engine reports it.
                out.append(start..<end)
                start = end > start ? end : start + 1
            } else {
                start += 1
            }
        }
        return out
    }

    /// The matches as strings.
    public func matches(in text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        return matches(in: s).filter { !$0.isEmpty }.map { String(String.UnicodeScalarView(s[$0])) }
    }
}

public struct PatternRegexError: Error, Equatable, CustomStringConvertible {
    public let pattern: String
    public let position: Int
    public let problem: String
    public var description: String { "regular expression at character \(position + 1): \(problem)" }
}

/// The text being matched, and the steps spent on it.
private final class Subject {
    let s: [Unicode.Scalar]
    let limit: Int
    var steps = 0
    var exhausted = false

    init(_ s: [Unicode.Scalar]) {
        self.s = s
        limit = PatternRegex.stepsPerScalar * (s.count + 1)
    }

    /// Counts one step; false once the budget is spent.
    func step() -> Bool {
        steps += 1
        if steps > limit { exhausted = true }
        return !exhausted
    }
}

/// A compiled pattern node; `match` calls `next` with each end position it can
/// reach, in preference order, and stops at the first that `next` accepts.
private indirect enum Node: Sendable {
    case scalar(@Sendable (Unicode.Scalar) -> Bool)
    case sequence([Node])
    case alternation([Node])
    case repetition(Node, min: Int, max: Int?, greedy: Bool)
    case lookahead(Node, negative: Bool)
    case start
    case end

    func match(_ subject: Subject, _ i: Int, _ next: (Int) -> Bool) -> Bool {
        guard subject.step() else { return false }
        let s = subject.s
        switch self {
        case .scalar(let test):
            return i < s.count && test(s[i]) && next(i + 1)
        case .sequence(let nodes):
            return Node.matchSequence(nodes[...], subject, i, next)
        case .alternation(let options):
            return options.contains { $0.match(subject, i, next) }
        case .repetition(let node, let min, let max, let greedy):
            return Node.matchRepeat(node, min: min, max: max, greedy: greedy, count: 0, subject, i, next)
        case .lookahead(let node, let negative):
            let found = node.match(subject, i) { _ in true }
            return found != negative && next(i)
        case .start:
            return i == 0 && next(i)
        case .end:
            return i == s.count && next(i)
        }
    }

    private static func matchSequence(_ nodes: ArraySlice<Node>, _ s: Subject, _ i: Int, _ next: (Int) -> Bool) -> Bool
    {
        guard let first = nodes.first else { return next(i) }
        return first.match(s, i) { matchSequence(nodes.dropFirst(), s, $0, next) }
    }

    private static func matchRepeat(
        _ node: Node, min: Int, max: Int?, greedy: Bool, count: Int,
        _ s: Subject, _ i: Int, _ next: (Int) -> Bool
    ) -> Bool {
        let canStop = count >= min
        let canGo = max.map { count < $0 } ?? true
        // An iteration that consumes nothing could repeat forever: it is not taken.
        func more() -> Bool {
            canGo
                && node.match(s, i) { j in
                    j > i && matchRepeat(node, min: min, max: max, greedy: greedy, count: count + 1, s, j, next)
                }
        }
        if greedy { return more() || (canStop && next(i)) }
        return (canStop && next(i)) || more()
    }
}

private struct Parser {
    let scalars: [Unicode.Scalar]
    let pattern: String
    var i = 0
    var caseInsensitive = false

    init(scalars: [Unicode.Scalar], pattern: String) {
        self.scalars = scalars
        self.pattern = pattern
    }

    func fail(_ problem: String) -> PatternRegexError {
        PatternRegexError(pattern: pattern, position: i, problem: problem)
    }

    var peek: Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }

    mutating func parseAll() throws(PatternRegexError) -> Node {
        let node = try parseAlternation()
        guard i == scalars.count else { throw fail("unbalanced ')'") }
        return node
    }

    mutating func parseAlternation() throws(PatternRegexError) -> Node {
        var options = [try parseSequence()]
        while peek == "|" {
            i += 1
            options.append(try parseSequence())
        }
        return options.count == 1 ? options[0] : .alternation(options)
    }

    mutating func parseSequence() throws(PatternRegexError) -> Node {
        var nodes: [Node] = []
        while let c = peek, c != "|", c != ")" {
            var atom = try parseAtom()
            atom = try parseQuantifiers(atom)
            nodes.append(atom)
        }
        return nodes.count == 1 ? nodes[0] : .sequence(nodes)
    }

    mutating func parseQuantifiers(_ atom: Node) throws(PatternRegexError) -> Node {
        var node = atom
        while let c = peek {
            var bounds: (Int, Int?)
            switch c {
            case "?":
                bounds = (0, 1)
                i += 1
            case "*":
                bounds = (0, nil)
                i += 1
            case "+":
                bounds = (1, nil)
                i += 1
            case "{":
                guard let b = try parseBraces() else { return node }
                bounds = b
            default: return node
            }
            var greedy = true
            if peek == "?" {
                greedy = false
                i += 1
            } else if peek == "+" {
                throw fail("possessive quantifiers are not supported")
            }
            node = .repetition(node, min: bounds.0, max: bounds.1, greedy: greedy)
        }
        return node
    }

    /// `{m}`, `{m,}`, `{m,n}`; anything else after `{` is a literal brace.
    mutating func parseBraces() throws(PatternRegexError) -> (Int, Int?)? {
        var j = i + 1
        func number() -> Int? {
            var value: Int?
            while j < scalars.count, ("0"..."9").contains(scalars[j]) {
                value = (value ?? 0) * 10 + Int(scalars[j].value - 48)
                j += 1
                if value! > 100_000 { return nil }
            }
            return value
        }
        guard let low = number() else { return nil }
        var high: Int? = low
        if j < scalars.count, scalars[j] == "," {
            j += 1
            high = number()
        }
        guard j < scalars.count, scalars[j] == "}" else { return nil }
        if let high, high < low { throw fail("{\(low),\(high)}: the upper bound is below the lower") }
        i = j + 1
        return (low, high)
    }

    mutating func parseAtom() throws(PatternRegexError) -> Node {
        let c = scalars[i]
        i += 1
        switch c {
        case "(":
            return try parseGroup()
        case "[":
            return .scalar(try parseClass())
        case ".":
            return .scalar { $0 != "\n" }
        case "^":
            return .start
        case "$":
            return .end
        case "\\":
            return .scalar(try parseEscape(inClass: false).test)
        case "*", "+", "?":
            throw fail("'\(c)' has nothing to repeat")
        default:
            return .scalar(literal(c))
        }
    }

    mutating func parseGroup() throws(PatternRegexError) -> Node {
        let saved = caseInsensitive
        defer { caseInsensitive = saved }
        var lookahead: Bool?
        if peek == "?" {
            i += 1
            switch peek {
            case ":": i += 1
            case "=":
                i += 1
                lookahead = false
            case "!":
                i += 1
                lookahead = true
            case "i":
                i += 1
                guard peek == ":" else { throw fail("only the inline flag group (?i:…) is supported") }
                i += 1
                caseInsensitive = true
            default:
                throw fail(
                    "group '(?\(peek.map { String($0) } ?? "")' is not supported (supported: (?:…), (?i:…), (?=…), "
                        + "(?!…))"
                )
            }
        }
        let inner = try parseAlternation()
        guard peek == ")" else { throw fail("missing ')'") }
        i += 1
        if let negative = lookahead { return .lookahead(inner, negative: negative) }
        return inner
    }

    func literal(_ c: Unicode.Scalar) -> @Sendable (Unicode.Scalar) -> Bool {
        guard caseInsensitive else { return { $0 == c } }
        let folded = Parser.fold(c)
        return { $0 == c || Parser.fold($0) == folded }
    }

    static func fold(_ c: Unicode.Scalar) -> String { c.properties.lowercaseMapping }

    /// One escape: a class (`\s`, `\p{L}`, …) or an escaped literal.
    mutating func parseEscape(inClass: Bool) throws(PatternRegexError) -> ScalarSet {
        guard let c = peek else { throw fail("the pattern ends with '\\'") }
        i += 1
        switch c {
        case "s": return ScalarSet(test: { $0.properties.isWhitespace })
        case "S": return ScalarSet(test: { !$0.properties.isWhitespace })
        case "d": return ScalarSet(test: { $0.properties.generalCategory == .decimalNumber })
        case "D": return ScalarSet(test: { $0.properties.generalCategory != .decimalNumber })
        case "w": return ScalarSet(test: Parser.isWord)
        case "W": return ScalarSet(test: { !Parser.isWord($0) })
        case "p", "P":
            guard peek == "{" else { throw fail("\\\(c) must be followed by {…}") }
            i += 1
            var name = ""
            while let n = peek, n != "}" {
                name.unicodeScalars.append(n)
                i += 1
            }
            guard peek == "}" else { throw fail("missing '}' after \\\(c){\(name)") }
            i += 1
            guard let categories = Parser.categories[name] else {
                throw fail(
                    "Unicode class \\p{\(name)} is not supported "
                        + "(supported: \(Parser.categories.keys.sorted().joined(separator: ", ")))"
                )
            }
            let negated = c == "P"
            return ScalarSet(test: { categories.contains($0.properties.generalCategory) != negated })
        case "r": return ScalarSet(single: "\r")
        case "n": return ScalarSet(single: "\n")
        case "t": return ScalarSet(single: "\t")
        case "f": return ScalarSet(single: "\u{0C}")
        case "v": return ScalarSet(single: "\u{0B}")
        case "x", "u":
            let width = c == "x" ? 2 : 4
            var hex = ""
            for _ in 0..<width {
                guard let h = peek else { break }
                hex.unicodeScalars.append(h)
                i += 1
            }
            guard hex.count == width, let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                throw fail("bad \\\(c) escape")
            }
            return ScalarSet(single: scalar)
        default:
            if c.properties.isAlphabetic || c.properties.numericType != nil {
                throw fail("escape '\\\(c)' is not supported")
            }
            return ScalarSet(single: c)
        }
    }

    mutating func parseClass() throws(PatternRegexError) -> @Sendable (Unicode.Scalar) -> Bool {
        var negated = false
        if peek == "^" {
            negated = true
            i += 1
        }
        var members: [ScalarSet] = []
        var first = true
        while let c = peek, c != "]" || first {
            first = false
            i += 1
            var item: ScalarSet
            if c == "\\" {
                item = try parseEscape(inClass: true)
            } else if c == "[" {
                throw fail("nested classes are not supported")
            } else {
                item = ScalarSet(single: c)
            }
            // A range `a-z` (a '-' before ']' is a literal).
            if let low = item.single, peek == "-", i + 1 < scalars.count, scalars[i + 1] != "]" {
                i += 1
                var high: Unicode.Scalar
                if peek == "\\" {
                    i += 1
                    guard let h = try parseEscape(inClass: true).single else {
                        throw fail("a range must end in a single character")
                    }
                    high = h
                } else {
                    high = scalars[i]
                    i += 1
                }
                guard low.value <= high.value else { throw fail("range \(low)-\(high) is reversed") }
                let bounds = low.value...high.value
                item = ScalarSet(test: { bounds.contains($0.value) })
            }
            members.append(item)
        }
        guard peek == "]" else { throw fail("missing ']'") }
        i += 1
        let tests = members.map(\.test)
        let insensitive = caseInsensitive
        let negative = negated
        return { c in
            var found = tests.contains { $0(c) }
            if !found && insensitive {
                found = [c.properties.lowercaseMapping, c.properties.uppercaseMapping].contains { mapped in
                    mapped.unicodeScalars.count == 1 && tests.contains { $0(mapped.unicodeScalars.first!) }
                }
            }
            return found != negative
        }
    }

    static func isWord(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || c.properties.generalCategory == .decimalNumber
    }

    static let categories: [String: Set<Unicode.GeneralCategory>] = {
        let letters: Set<Unicode.GeneralCategory> = [
            .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        ]
        let numbers: Set<Unicode.GeneralCategory> = [.decimalNumber, .letterNumber, .otherNumber]
        let marks: Set<Unicode.GeneralCategory> = [.nonspacingMark, .spacingMark, .enclosingMark]
        let punctuation: Set<Unicode.GeneralCategory> = [
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation,
        ]
        let symbols: Set<Unicode.GeneralCategory> = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let separators: Set<Unicode.GeneralCategory> = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        return [
            "L": letters, "Lu": [.uppercaseLetter], "Ll": [.lowercaseLetter], "Lt": [.titlecaseLetter],
            "Lm": [.modifierLetter],
            "Lo": [.otherLetter], "N": numbers, "Nd": [.decimalNumber], "Nl": [.letterNumber], "No": [.otherNumber],
            "M": marks, "P": punctuation, "S": symbols, "Z": separators,
        ]
    }()
}

/// A set of scalars; `single` when it is exactly one (so it can start a range).
private struct ScalarSet {
    let test: @Sendable (Unicode.Scalar) -> Bool
    let single: Unicode.Scalar?

    init(test: @escaping @Sendable (Unicode.Scalar) -> Bool) {
        self.test = test
        single = nil
    }

    init(single c: Unicode.Scalar) {
        test = { $0 == c }
        single = c
    }
}
