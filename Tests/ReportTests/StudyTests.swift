import Foundation
import HeadMapsTestSupport
import XCTest

/// A study: one model's training revisions in a fake Hugging Face cache
/// (`make-fixture --revisions`: heads appear from revision to revision), or
/// several models, each scored once and compared in one report.
final class StudyTests: XCTestCase {
    struct Planted: Decodable {
        struct Head: Decodable { let layer: Int; let head: Int; let relation: String; let expected_score: Double }
        let planted: [Head]
    }

    static let revisions = ["step0", "step1000", "step2000", "step3000"]

    func makeRevisions() throws -> (hub: String, environment: [String: String]) {
        let hub = TestSupport.temporaryDirectory("study-hub")
        let made = try HeadMapsExecutable.run(["make-fixture", "--revisions", "4", "--out", hub])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stdout.contains("step0: 0, step1000: 2, step2000: 5, step3000: 7"), made.stdout)
        return (hub, ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"])
    }

    func snapshot(_ hub: String, _ revision: String) throws -> String {
        let repo = hub + "/models--headmaps--planted-tiny"
        return repo + "/snapshots/" + (try String(contentsOfFile: repo + "/refs/" + revision, encoding: .utf8))
    }

    func testRevisionsShowWhenEachPlantedHeadForms() throws {
        let (hub, environment) = try makeRevisions()
        let dir = TestSupport.temporaryDirectory("study")
        try """
        title: Planted heads across training
        model: headmaps/planted-tiny
        revisions: [\(Self.revisions.joined(separator: ", "))]
        relations: [name_copying, country_to_capital]
        head_cards: 0
        study: {threshold: 0.5}
        """.write(toFile: dir + "/training.yaml", atomically: true, encoding: .utf8)
        let out = dir + "/training"
        let result = try HeadMapsExecutable.run(["report", dir + "/training.yaml", "--out", out, "--quiet"], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("· [Across revisions](#across-revisions) ·"))
        XCTAssertTrue(markdown.contains("| relation | step0 | step1000 | step2000 | step3000 |"), markdown)

        // Expected: a planted head forms at the first revision whose planted.json lists it.
        var expected: [String] = []
        let titles = ["name_copying": "Name Copying", "country_to_capital": "Country to capital"]
        let planted = try Self.revisions.map { revision in
            try JSONDecoder().decode(Planted.self, from: Data(contentsOf: URL(fileURLWithPath: try snapshot(hub, revision) + "/planted.json"))).planted
        }
        for relation in ["name_copying", "country_to_capital"] {
            var rows: [(Int, Int, Int, String)] = []
            for head in planted.last! where head.relation == relation && head.expected_score >= 0.5 {
                let first = planted.firstIndex { $0.contains { $0.layer == head.layer && $0.head == head.head } }!
                let score = String(format: "%.2f", head.expected_score)
                rows.append((first, head.layer, head.head, "| \(titles[relation]!) | \(head.layer).\(head.head) | \(Self.revisions[first]) | \(score) | \(score) |"))
            }
            expected += rows.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }.map(\.3)
        }
        XCTAssertEqual(expected.count, 6, "the tiny fixture's planted heads that score at least 0.5")
        let table = markdown.components(separatedBy: "| relation | head | first revision | score there | last score |\n|---|---|---|---:|---:|\n")
        XCTAssertEqual(table.count, 2, markdown)
        XCTAssertEqual(Array(table[1].split(separator: "\n").prefix(expected.count).map(String.init)), expected)

        // study.csv: every revision's scores; the last revision's are the report's own scores.
        let study = try String(contentsOfFile: out + "/study.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(study.count, 1 + 4 * 2 * 16)
        let own = try String(contentsOfFile: out + "/scores.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertEqual(study.filter { $0.hasPrefix("step3000,") }.map { $0.dropFirst("step3000,".count) },
                       own.map { $0.drop { $0 != "," }.dropFirst() })
        for relation in ["name_copying", "country_to_capital"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/figures/study-\(relation).png"))
        }
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        XCTAssertEqual(manifest.components(separatedBy: "\"role\": \"weights\"").count - 1, 4, "every revision's weights are inputs")
    }

    func testSeveralModelsAreComparedSideBySide() throws {
        let (hub, _) = try makeRevisions()
        let dir = TestSupport.temporaryDirectory("study-models")
        let first = try snapshot(hub, "step1000"), last = try snapshot(hub, "step3000")
        try FileManager.default.copyItem(atPath: first, toPath: dir + "/early")
        try FileManager.default.copyItem(atPath: last, toPath: dir + "/late")
        try "models: [early, late]\nrelations: [name_copying]\nhead_cards: 0\n".write(toFile: dir + "/two.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/two.yaml", "--out", dir + "/two", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: dir + "/two/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Across models\n\n2 models, each scored alike: early, late. The sections above describe early."), markdown)
        XCTAssertTrue(markdown.contains("| relation | early | late |\n|---|---|---|\n| Name Copying | 0.1 (1.00), 2.2 (1.00)"), markdown)
        XCTAssertFalse(markdown.contains("When heads form"), "models are not ordered in training")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/two/figures/study-name_copying.png"))
    }

    func testStudySpecsThatCannotBeMetAreRefused() throws {
        let dir = TestSupport.temporaryDirectory("study-bad")
        let cases = [
            ("model: a\nmodels: [b, c]\n", "model: (one model) or models: (a study), not both"),
            ("models: [a, b]\nrevisions: [step0]\n", "revisions"),
            ("model: ./folder\nrevisions: [step0, step1]\n", "need model: to be a Hugging Face id"),
            ("model: org/name\nrevisions: [step0, step0]\n", "'step0' is listed twice"),
            ("model: org/name\nstudy: {threshold: 0.5}\n", "needs several models"),
            ("models: []\n", "is empty"),
            ("model: org/name\nrevisions: [a, b]\nstudy: {threshold: 2}\n", "threshold must be above 0 and at most 1"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            try text.write(toFile: "\(dir)/s\(i).yaml", atomically: true, encoding: .utf8)
            let result = try HeadMapsExecutable.run(["report", "\(dir)/s\(i).yaml", "--out", "\(dir)/out\(i)", "--quiet"])
            XCTAssertEqual(result.status, 2, text)
            XCTAssertTrue(result.stderr.contains(message), "\(text): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/out\(i)"))
        }
    }

    /// An interrupted download: the ref names a snapshot that is missing or
    /// incomplete. That is an error naming the ref, never another revision read in its place.
    func testARefWhoseSnapshotIsMissingIsAnErrorNotAnotherRevision() throws {
        let (hub, environment) = try makeRevisions()
        let repo = hub + "/models--headmaps--planted-tiny"
        let last = try snapshot(hub, "step3000")
        try FileManager.default.moveItem(atPath: last, toPath: hub + "/moved")
        let out = TestSupport.temporaryDirectory("missing-snapshot") + "/s.json"
        for reference in ["headmaps/planted-tiny", "headmaps/planted-tiny@step3000"] {
            let result = try HeadMapsExecutable.run(["scores", "--model", reference, "--relation", "name_copying", "--out", out, "--quiet"],
                                                    environment: environment)
            XCTAssertEqual(result.status, 2, reference)
            XCTAssertTrue(result.stderr.contains("which does not exist: the cache holds an interrupted download"), result.stderr)
        }
        try FileManager.default.createDirectory(atPath: last, withIntermediateDirectories: true)
        let incomplete = try HeadMapsExecutable.run(["scores", "--model", "headmaps/planted-tiny", "--relation", "name_copying", "--out", out, "--quiet"],
                                                    environment: environment)
        XCTAssertEqual(incomplete.status, 2)
        XCTAssertTrue(incomplete.stderr.contains("\(repo)/refs/main: names snapshot") && incomplete.stderr.contains("has no config.json"),
                      incomplete.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let earlier = try HeadMapsExecutable.run(["scores", "--model", "headmaps/planted-tiny@step1000", "--relation", "name_copying", "--out", out, "--quiet"],
                                                 environment: environment)
        XCTAssertEqual(earlier.status, 0, earlier.stderr)
    }
}
