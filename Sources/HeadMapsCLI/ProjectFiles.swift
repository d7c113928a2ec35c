import Foundation

/// Finds the project's own files (the committed fixture, templates, report
/// specifications) from wherever `headmaps` was started: `HEADMAPS_HOME`, else
/// the nearest folder above the working directory that holds `Package.swift`
/// and `fixtures/`, else the same above the executable. The working directory
/// comes first: run from one clone, the binary of another must not write into
/// its own checkout.
enum ProjectFiles {
    static var root: String? {
        if let home = ProcessInfo.processInfo.environment["HEADMAPS_HOME"], !home.isEmpty { return home }
        // The running binary itself (found through PATH, argv[0] is only its name).
        let binary =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        let executable = URL(fileURLWithPath: binary).resolvingSymlinksInPath().deletingLastPathComponent()
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for start in [cwd, executable] {
            var dir = start.standardized
            while true {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path),
                    FileManager.default.fileExists(atPath: dir.appendingPathComponent("fixtures").path)
                {
                    return dir.path
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }
}
