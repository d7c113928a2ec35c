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
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9")
                || "-_./:=@%+,".unicodeScalars.contains(s)
        }
    }
}
