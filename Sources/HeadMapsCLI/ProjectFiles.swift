import Foundation

/// Finds the project's own files (the committed fixture, templates, report
/// specifications) from wherever `headmaps` was started: `HEADMAPS_HOME`, else
/// the nearest folder above the executable or the working directory that holds
/// `Package.swift` and `fixtures/`.
enum ProjectFiles {
    static var root: String? {
        if let home = ProcessInfo.processInfo.environment["HEADMAPS_HOME"], !home.isEmpty { return home }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for start in [executable, cwd] {
            var dir = start.standardized
            while true {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                   FileManager.default.fileExists(atPath: dir.appendingPathComponent("fixtures").path) {
                    return dir.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// The committed GPT-2-medium-grid fixture the default run analyses.
    static let defaultModelRelativePath = "fixtures/models/demo-gpt2-medium-grid"

    static func defaultModel() throws -> String {
        guard let root else {
            throw CLIError("no --model given and the project folder (with fixtures/) was not found; pass --model DIR or set HEADMAPS_HOME")
        }
        return (root as NSString).appendingPathComponent(defaultModelRelativePath)
    }
}
