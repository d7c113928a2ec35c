import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The one rule for every output path of every command: an output never
/// replaces what the command reads (an input file, or anything inside an
/// input folder such as the model's), and no two outputs of one command share
/// a path. Checked before any work, so a refused run has changed nothing.
/// Devices and pipes (`/dev/stdout`) are written through, so they may repeat.
public enum OutputGuard {
    /// A path the command reads, and what it is ("the model folder").
    public struct Input: Sendable {
        public let path: String
        public let role: String
        public init(_ path: String, role: String) {
            self.path = path
            self.role = role
        }
    }

    /// A path the command writes, and the option that named it ("--out").
    public struct Output: Sendable {
        public let path: String
        public let option: String
        public init(_ path: String, option: String) {
            self.path = path
            self.option = option
        }
    }

    public static func check(_ outputs: [Output], inputs: [Input]) throws(OutputFileError) {
        var seen: [String: Output] = [:]
        for output in outputs where !isStream(output.path) {
            let target = Paths.resolvingLinks(output.path)
            if let earlier = seen[target] {
                throw .sameOutput(path: output.path, options: [earlier.option, output.option])
            }
            seen[target] = output
            for input in inputs {
                let read = Paths.resolvingLinks(input.path)
                if target == read || target.hasPrefix(read + "/") {
                    throw .wouldReplaceInput(path: output.path, option: output.option, what: input.role, at: input.path)
                }
            }
        }
    }

    /// A character device or a pipe (or a link to one): written through, never replaced.
    public static func isStream(_ path: String) -> Bool {
        guard let st = FileType.status(path) else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFCHR || kind == S_IFIFO
    }
}
