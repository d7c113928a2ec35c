/// Escapes what a report prints from specs and data, so that a title with
/// `<script>`, a `|` or a newline cannot break a Markdown table or inject
/// HTML into a renderer. A bare `&` stays: at worst it spells an entity,
/// which renders as a character, never as markup.
enum MarkdownText {
    /// Context keys whose values are links or code, written as they are.
    static let verbatimKeys: Set<String> = ["png", "pdf", "dataURI", "reproduce"]

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|": out += "\\|"
            case "\n", "\r", "\r\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    /// Every string in a template context, escaped, except verbatim keys.
    static func escaping(_ value: Any, key: String? = nil) -> Any {
        switch value {
        case let s as String: return key.map(verbatimKeys.contains) == true ? s : escape(s)
        case let d as [String: Any]: return Dictionary(uniqueKeysWithValues: d.map { ($0.key, escaping($0.value, key: $0.key)) })
        case let a as [[String: Any]]: return a.map { escaping($0) }
        case let a as [[String: String]]: return a.map { escaping($0) }
        case let a as [String]: return a.map { escape($0) }
        case let a as [Any]: return a.map { escaping($0) }
        default: return value
        }
    }
}

/// Quotes command arguments for a POSIX shell, so the "Reproduce" line runs
/// as written whatever the paths contain.
public enum ShellWords {
    public static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSetSafe.contains($0)) }
        return !word.isEmpty && safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public static func join(_ words: [String]) -> String { words.map(quote).joined(separator: " ") }

    private enum CharacterSetSafe {
        static func contains(_ s: Unicode.Scalar) -> Bool {
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "-_./:=@%+,".unicodeScalars.contains(s)
        }
    }
}
