extension ByteLevelBPE {
    /// GPT-2's pre-tokenization, the regex
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// written out as a scanner (Foundation's regex has no `\p{L}` lookahead
    /// semantics we can rely on across platforms). Alternatives are tried in
    /// the regex's order at each position, each greedy.
    public static func preTokenize(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var out: [String] = []
        var i = 0
        func piece(_ a: Int, _ b: Int) -> String {
            var str = String.UnicodeScalarView()
            str.append(contentsOf: s[a..<b])
            return String(str)
        }
        func run(from start: Int, while test: (Unicode.Scalar) -> Bool) -> Int {
            var j = start
            while j < s.count && test(s[j]) { j += 1 }
            return j
        }
        let isOther: (Unicode.Scalar) -> Bool = { !isSpace($0) && !isLetter($0) && !isNumber($0) }
        scanning: while i < s.count {
            if s[i] == "'", let n = contraction(s, at: i) {
                out.append(piece(i, i + n))
                i += n
                continue
            }
            for test in [isLetter, isNumber, isOther] {
                if s[i] == " " && i + 1 < s.count && test(s[i + 1]) {
                    let end = run(from: i + 1, while: test)
                    out.append(piece(i, end))
                    i = end
                    continue scanning
                }
                if test(s[i]) {
                    let end = run(from: i, while: test)
                    out.append(piece(i, end))
                    i = end
                    continue scanning
                }
            }
            // Whitespace. `\s+(?!\S)` leaves the last one for the word after it.
            let end = run(from: i, while: isSpace)
            let stop = (end == s.count || end - i == 1) ? end : end - 1
            out.append(piece(i, stop))
            i = stop
        }
        return out
    }

    static func contraction(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        func at(_ k: Int) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }
        switch at(1) {
        case "s", "t", "m", "d": return 2
        case "r" where at(2) == "e", "v" where at(2) == "e", "l" where at(2) == "l": return 3
        default: return nil
        }
    }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }
}
