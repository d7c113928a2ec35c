import Foundation

/// "1.4 GB (1420000000 bytes)": readable, and exact for whoever compares.
enum ByteCountFormatting {
    static func string(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit]) + " (\(bytes) bytes)"
    }
}
