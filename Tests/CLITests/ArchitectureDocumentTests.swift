import Foundation
import HeadMapsTestSupport
import XCTest

/// ARCHITECTURE.md's module table is Package.swift's targets and their
/// dependencies, row for row: the map stays true when a module is added or a
/// dependency changes.
final class ArchitectureDocumentTests: XCTestCase {
    /// Each non-test target of Package.swift and what it depends on (products by their names).
    static func packageTargets() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: TestSupport.repositoryRoot + "/Package.swift", encoding: .utf8)
        let declaration = try NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(name: "([^"]+)""#)
        let quoted = try NSRegularExpression(pattern: #""([^"]+)""#)
        let ns = text as NSString
        let matches = declaration.matches(in: text, range: NSRange(location: 0, length: ns.length))
        var targets: [String: Set<String>] = [:]
        for (i, m) in matches.enumerated() where ns.substring(with: m.range(at: 1)) != "testTarget" {
            let end = i + 1 < matches.count ? matches[i + 1].range.location : ns.length
            var chunk = ns.substring(with: NSRange(location: m.range.upperBound, length: end - m.range.upperBound))
            var dependencies = Set<String>()
            if let start = chunk.range(of: "dependencies: [") {
                chunk = String(chunk[start.upperBound...])
                var depth = 1, index = chunk.startIndex
                while depth > 0, index < chunk.endIndex {
                    if chunk[index] == "[" { depth += 1 } else if chunk[index] == "]" { depth -= 1 }
                    index = chunk.index(after: index)
                }
                let list = String(chunk[..<index]).replacingOccurrences(of: #"package: "[^"]*""#, with: "", options: .regularExpression)
                let lns = list as NSString
                for q in quoted.matches(in: list, range: NSRange(location: 0, length: lns.length)) { dependencies.insert(lns.substring(with: q.range(at: 1))) }
            }
            targets[ns.substring(with: m.range(at: 2))] = dependencies
        }
        return targets
    }

    /// The rows of ARCHITECTURE.md's `## Modules` table.
    static func documentedTargets() throws -> [String: Set<String>] {
        let text = try String(contentsOfFile: TestSupport.repositoryRoot + "/ARCHITECTURE.md", encoding: .utf8)
        guard let section = text.components(separatedBy: "## Modules").dropFirst().first else { return [:] }
        var targets: [String: Set<String>] = [:]
        for line in section.split(separator: "\n").prefix(while: { $0.hasPrefix("|") || $0.isEmpty }) where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, cells[0] != "module" else { continue }
            targets[cells[0]] = cells[2] == "—" ? [] : Set(cells[2].components(separatedBy: ", "))
        }
        return targets
    }

    func testTheModuleTableIsPackageSwiftsGraph() throws {
        let package = try Self.packageTargets(), document = try Self.documentedTargets()
        XCTAssertGreaterThan(package.count, 10, "Package.swift's targets were read")
        XCTAssertEqual(Set(document.keys), Set(package.keys), "modules in ARCHITECTURE.md vs Package.swift")
        for (name, dependencies) in package {
            XCTAssertEqual(document[name], dependencies, "\(name)'s dependencies in ARCHITECTURE.md")
        }
    }

    /// Every line of Sources fits in 120 characters (characters, not bytes: `×` and `‖` are one each).
    func testNoSourceLineIsLongerThan120Characters() throws {
        let sources = TestSupport.repositoryRoot + "/Sources"
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: sources)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 100)
        var long: [String] = []
        for file in files {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.count > 120 {
                long.append("Sources/\(file):\(i + 1) (\(line.count))")
            }
        }
        XCTAssertEqual(long, [], "lines over 120 characters")
    }
}
