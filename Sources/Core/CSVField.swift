/// A CSV field as RFC 4180 writes it: quoted, with its quotes doubled, when
/// it holds a comma, a quote or a line break; as it is otherwise.
public enum CSVField {
    public static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
