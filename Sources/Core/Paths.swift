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

    /// `path` absolute, with every symbolic link along it resolved (the part
    /// that does not exist yet kept as written): two paths name one file when
    /// these are equal.
    public static func resolvingLinks(_ path: String) -> String {
        let full = absolute(path)
        if let r = realpath(full, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        let parent = (full as NSString).deletingLastPathComponent
        guard parent != full, !parent.isEmpty else { return full }
        return (resolvingLinks(parent) as NSString).appendingPathComponent((full as NSString).lastPathComponent)
    }
}
