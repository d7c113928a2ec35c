/// Escapes what a report prints from specs and data, so that a title with
/// `<script>`, a `|`, brackets, emphasis marks or a newline cannot break a
/// Markdown table, an image or a link, or inject HTML into a renderer: every
/// character CommonMark gives a meaning inline is backslash-escaped, `&`
/// becomes `&amp;` (so `&copy;` prints as written), `<` and `>` entities.
public enum MarkdownText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "|": out += "\\" + String(c)
            case "\n", "\r", "\r\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    /// `text` as a code span: delimited by more backticks than any run inside
    /// it, on one line, `|` escaped for a table cell.
    public static func codeSpan(_ text: String) -> String {
        let line = String(text.map { $0.isNewline ? " " : $0 }).replacingOccurrences(of: "|", with: "\\|")
        let fence = String(repeating: "`", count: longestBacktickRun(line) + 1)
        let padded = line.hasPrefix("`") || line.hasSuffix("`") ? " \(line) " : line
        return fence + padded + fence
    }

    /// A fence for a code block holding `text`: more backticks than any run inside it, at least three.
    static func fence(for text: String) -> String {
        String(repeating: "`", count: max(3, longestBacktickRun(text) + 1))
    }

    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0
        var run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }
}
