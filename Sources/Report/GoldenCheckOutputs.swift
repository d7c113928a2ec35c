import Foundation

/// What a golden check says to the places a CI reports to: a Markdown
/// comment for a pull request, and JUnit XML for test dashboards.
extension GoldenCheck {
    /// A short Markdown summary, ready to paste as a PR comment.
    public static func markdownSummary(_ rows: [Row], golden: String, report: String) -> String {
        let failed = rows.filter { !$0.matches }
        var out = [
            failed.isEmpty
                ? "### HeadMaps golden check: all \(rows.count) files match"
                : "### HeadMaps golden check: \(failed.count) of \(rows.count) files differ", "",
        ]
        out.append(
            "Checked `\(report)` against the goldens in `\(golden)` (figures by RMS, scores per head, report text "
                + "exactly)."
        )
        out.append("")
        out.append("| file | result | detail |")
        out.append("|---|---|---|")
        for row in rows {
            let first = row.detail.split(separator: "\n").first.map(String.init) ?? ""
            out.append("| `\(row.file)` | \(row.matches ? "match" : "**differs**") | \(MarkdownText.escape(first)) |")
        }
        let changes = failed.flatMap(\.scoreChanges)
        if !changes.isEmpty {
            out += ["", "Heads that changed, per relation (actual − golden, in pairs):", ""]
            out += changes.map { "- " + MarkdownText.escape($0) }
        }
        let artifacts = failed.flatMap(\.artifacts)
        if !artifacts.isEmpty {
            out += ["", "Diffs for a reviewer:", ""]
            out += artifacts.map { "- [\(($0 as NSString).lastPathComponent)](\($0))" }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// JUnit XML: one test case per checked file, a failure for each difference.
    public static func junit(_ rows: [Row], name: String) -> String {
        func xml(_ s: String) -> String {
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "\n", "\t": out.unicodeScalars.append(scalar)
                case _ where scalar.value < 0x20: out += " "
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        let failures = rows.filter { !$0.matches }.count
        var out = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites tests=\"\(rows.count)\" failures=\"\(failures)\">",
            "  <testsuite name=\"\(xml(name))\" tests=\"\(rows.count)\" failures=\"\(failures)\" errors=\"0\" "
                + "skipped=\"0\">",
        ]
        for row in rows {
            if row.matches {
                out.append("    <testcase classname=\"\(xml(name))\" name=\"\(xml(row.file))\"/>")
            } else {
                out.append("    <testcase classname=\"\(xml(name))\" name=\"\(xml(row.file))\">")
                let firstLine = row.detail.split(separator: "\n").first.map(String.init) ?? "differs"
                out.append("      <failure message=\"\(xml(firstLine))\">\(xml(row.detail))</failure>")
                out.append("    </testcase>")
            }
        }
        out += ["  </testsuite>", "</testsuites>"]
        return out.joined(separator: "\n") + "\n"
    }
}
