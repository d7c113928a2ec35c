/// A short, printable piece of an input for an error message. Messages quote
/// what the user wrote so they can find it, but never a whole line of a file
/// that was never meant as this input (a mistyped path to a secrets file).
public enum Excerpt {
    public static let maximumLength = 40

    /// `text` if it is a plain name (letters, digits, `_ . -`) of at most `maximumLength` characters.
    public static func plainName(_ text: String) -> String? {
        guard !text.isEmpty, text.count <= maximumLength,
            text.unicodeScalars.allSatisfy({
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)
            })
        else { return nil }
        return text
    }

    /// `text` with control characters shown as `?`, cut to `maximumLength` characters.
    public static func short(_ text: String) -> String {
        let printable = String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
        return printable.count <= maximumLength ? printable : String(printable.prefix(maximumLength - 1)) + "…"
    }
}
