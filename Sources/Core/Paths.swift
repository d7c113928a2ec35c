import Foundation

/// Paths as outputs record them: absolute and normalised, or relative to the
/// project when inside it, so no byte depends on where a command was typed.
public enum Paths {
    /// `path` made absolute against the current directory, `.` and `..` resolved.
    public static func absolute(_ path: String) -> String {
        ((path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path) as NSString)
            .standardizingPath
    }

    /// `path` relative to `root` when inside it, else absolute.
    public static func display(_ path: String, relativeTo root: String?) -> String {
        let full = absolute(path)
        guard let root = root.map({ absolute($0) + "/" }), full.hasPrefix(root) else { return full }
        return String(full.dropFirst(root.count))
    }
}
