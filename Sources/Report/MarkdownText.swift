/// Escapes what a report prints from specs and data, so that a title with
/// `<script>`, a `|` or a newline cannot break a Markdown table or inject
/// HTML into a renderer. A bare `&` stays: at worst it spells an entity,
/// which renders as a character, never as markup.
enum MarkdownText {
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
}
