import Core
import Analysis
import Foundation
import Plot

public enum FigureFiles {
    /// Writes a figure as PNG or PDF, chosen by the path's extension.
    public static func write(_ figure: Figure, to path: String, dpi: Double = 150) throws {
        let data: Data
        switch (path as NSString).pathExtension.lowercased() {
        case "png": data = try figure.pngData(dpi: dpi)
        case "pdf": data = try figure.pdfData()
        default: throw ReportError.unknownFigureFormat(path: path)
        }
        try AtomicFile.write(data, to: path)
    }
}
