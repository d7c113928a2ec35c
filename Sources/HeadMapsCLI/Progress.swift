import Foundation

/// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise
/// (logs and CI), nothing with `--quiet`.
struct Progress {
    let quiet: Bool
    let isTerminal = isatty(STDERR_FILENO) != 0

    func log(_ message: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    func update(_ label: String, done: Int, of total: Int) {
        guard !quiet else { return }
        if isTerminal {
            let width = 30
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total)\(done == total ? "\n" : "")".utf8))
        } else if done == total || done % max(1, total / 4) == 0 {
            log("\(label): \(done)/\(total)")
        }
    }
}
