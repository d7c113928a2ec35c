import Core
import Foundation
import Plot
import Report

/// What `dynamic` and `ablate` write: their JSON document, then the figure
/// when `--figure` asks for one, each written whole or not at all and
/// announced in the log.
enum ExperimentOutput {
    static func write(
        _ json: String, to out: String, figure path: String?, drawing: () -> Figure?, log: (String) -> Void
    ) throws {
        try AtomicFile.write(Data(json.utf8), to: out)
        log("wrote \(out)")
        if let path, let drawn = drawing() {
            try FigureFiles.write(drawn, to: path, dpi: ReportSettings.defaultDPI)
            log("wrote \(path)")
        }
    }
}
