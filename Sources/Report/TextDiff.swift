/// A unified diff of two texts, line by line (longest common subsequence),
/// as `diff -u` prints it: what a reviewer reads when a report's words change.
public enum TextDiff {
    /// Texts longer than this many lines a side are compared by their first lines only.
    static let maximumLines = 20_000

    public static func unified(
        expected: String, actual: String, expectedName: String, actualName: String, context: Int = 3
    ) -> String {
        func lines(_ text: String) -> [Substring] {
            var all = text.split(separator: "\n", omittingEmptySubsequences: false)
            if text.hasSuffix("\n") { all.removeLast() }  // the newline ends the last line; it starts none
            return Array(all.prefix(maximumLines))
        }
        let a = lines(expected)
        let b = lines(actual)
        // Trim the common head and tail, then LCS on what is left.
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)])
        let y = Array(b[head..<(b.count - tail)])
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        // Edit script over the whole texts: (kind, line in a, line in b).
        enum Kind { case same, removed, added }
        var script: [(Kind, Int, Int)] = (0..<head).map { (.same, $0, $0) }
        var i = 0
        var j = 0
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                script.append((.same, head + i, head + j))
                i += 1
                j += 1
            }
            // Removals before additions, as diff -u prints a changed line.
            else if i < x.count, j == y.count || lcs[i + 1][j] >= lcs[i][j + 1] {
                script.append((.removed, head + i, head + j))
                i += 1
            } else {
                script.append((.added, head + i, head + j))
                j += 1
            }
        }
        for t in 0..<tail { script.append((.same, a.count - tail + t, b.count - tail + t)) }

        var out = ["--- \(expectedName)", "+++ \(actualName)"]
        var k = 0
        while k < script.count {
            guard script[k].0 != .same else {
                k += 1
                continue
            }
            // A hunk: from `context` lines before the change to `context` after the last change near it.
            let start = max(0, k - context)
            var end = k
            var quiet = 0
            var m = k
            while m < script.count {
                if script[m].0 == .same {
                    quiet += 1
                    if quiet > 2 * context { break }
                } else {
                    quiet = 0
                    end = m
                }
                m += 1
            }
            let stop = min(script.count, end + context + 1)
            let hunk = script[start..<stop]
            let aStart = hunk.first { $0.0 != .added }.map { $0.1 } ?? hunk.first!.1
            let bStart = hunk.first { $0.0 != .removed }.map { $0.2 } ?? hunk.first!.2
            let aCount = hunk.filter { $0.0 != .added }.count
            let bCount = hunk.filter { $0.0 != .removed }.count
            out.append("@@ -\(aStart + 1),\(aCount) +\(bStart + 1),\(bCount) @@")
            for (kind, ai, bi) in hunk {
                switch kind {
                case .same: out.append(" " + a[ai])
                case .removed: out.append("-" + a[ai])
                case .added: out.append("+" + b[bi])
                }
            }
            k = stop
        }
        return out.joined(separator: "\n") + "\n"
    }
}
