import Core
import Foundation

/// A table of a report as a paper includes it: `tables/NAME.tex`, a booktabs
/// `tabular` to `\input` inside the paper's own `table` environment, and
/// `tables/NAME.csv`, the same rows for a script.
struct PaperTable {
    enum Alignment: String {
        case left = "l"
        case right = "r"
    }

    let name: String
    /// What the table holds, as the `.tex` file's first comment.
    let caption: String
    let columns: [(title: String, alignment: Alignment)]
    let rows: [[String]]

    /// The two files, by path relative to the report folder.
    var files: [String: Data] {
        ["tables/\(name).tex": Data(tex.utf8), "tables/\(name).csv": Data(csv.utf8)]
    }

    var tex: String {
        var lines = [
            "% \(caption)", "% Written by HeadMaps; needs \\usepackage{booktabs}.",
            "\\begin{tabular}{\(columns.map(\.alignment.rawValue).joined())}", "\\toprule",
            columns.map { PaperTable.escape($0.title) }.joined(separator: " & ") + " \\\\", "\\midrule",
        ]
        lines += rows.map { $0.map(PaperTable.escape).joined(separator: " & ") + " \\\\" }
        lines += ["\\bottomrule", "\\end{tabular}"]
        return lines.joined(separator: "\n") + "\n"
    }

    var csv: String {
        ([columns.map(\.title)] + rows).map { $0.map(CSVField.quoted).joined(separator: ",") }.joined(separator: "\n")
            + "\n"
    }

    /// Text as LaTeX prints it: its ten special characters escaped, newlines as spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\textbackslash{}"
            case "{", "}", "$", "&", "#", "_", "%": out += "\\" + String(c)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "\n", "\r", "\r\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }
}
