import Analysis
import Core
import Foundation
import Plot

public enum FigureFiles {
    /// Writes a figure as PNG or PDF, chosen by the path's extension.
    /// - Parameter format: png, pdf or svg; by default the path's extension.
    public static func write(_ figure: Figure, to path: String, format: String? = nil, dpi: Double = 150) throws {
        let data: Data
        switch (format ?? (path as NSString).pathExtension).lowercased() {
        case "png": data = try figure.pngData(dpi: dpi)
        case "pdf": data = try figure.pdfData()
        case "svg": data = try figure.svgData()
        default: throw ReportError.unknownFigureFormat(path: path)
        }
        try AtomicFile.write(data, to: path)
    }
}
