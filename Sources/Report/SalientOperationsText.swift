import Analysis
import Foundation

/// Salient operations as text: one line per operation, `amplification
/// 'token' → 'mapped', …`, and for many heads the same led by the head, so
/// that `grep "→ ' Paris'"` finds the heads that map to Paris and two
/// models' or two revisions' lists diff line by line.
public enum SalientOperationsText {
    public static func token(_ id: Int, decode: (Int) -> String) -> String {
        "'" + decode(id).replacingOccurrences(of: "\n", with: "\\n") + "'"
    }

    public static func line(_ op: SalientOperations.Operation, decode: (Int) -> String) -> String {
        String(format: "%8.3f  ", op.amplification) + token(op.tokenID, decode: decode) + " → "
            + op.mappings.map { token($0.tokenID, decode: decode) }.joined(separator: ", ")
    }

    public static let catalogueHeader = "salient operations of every head (head, amplification: token → top mappings)\n"

    public static func catalogue(_ heads: [SalientOperations], decode: (Int) -> String) -> String {
        catalogueHeader + heads.map { lines($0, decode: decode) }.joined()
    }

    /// One head's lines of the catalogue, each led by the head and ending in a newline.
    public static func lines(_ ops: SalientOperations, decode: (Int) -> String) -> String {
        let head = "\(ops.layer).\(ops.head)".padding(toLength: 6, withPad: " ", startingAt: 0)
        return ops.operations.map { head + line($0, decode: decode) + "\n" }.joined()
    }
}
