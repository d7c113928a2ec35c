import Foundation
import HeadMapsTestSupport
import XCTest

/// HeadMaps reads only what the user gave it, and shows of it only what helps:
/// no shard outside the model folder, no line of a file that is not an input
/// of its kind in an error, no raw HTML from a spec in report.md.
final class ForeignInputTests: XCTestCase {
    func shardedCopy() throws -> String {
        try CheckpointCopies.rewrite(TestSupport.tinyModel, shards: 2)
    }

    func writeIndex(_ dir: String, shard: String) throws {
        let index = dir + "/model.safetensors.index.json"
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as! [String: Any]
        var map = object["weight_map"] as! [String: String]
        let first = map.keys.sorted()[0]
        map[first] = shard
        object["weight_map"] = map
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: index))
    }

    func testShardPathsThatLeaveTheModelFolderAreRefused() throws {
        for shard in ["../outside.safetensors", "/etc/passwd", "sub/../../x.safetensors"] {
            let dir = try shardedCopy()
            try writeIndex(dir, shard: shard)
            let result = try HeadMapsExecutable.run(["scores", "--model", dir, "--relation", "name_copying", "--out", dir + "/s.json", "--quiet"])
            XCTAssertEqual(result.status, 2, shard)
            XCTAssertTrue(result.stderr.contains("a path outside the model folder"), result.stderr)
            XCTAssertFalse(result.stderr.contains("root:"), result.stderr)
        }
    }

    /// The Hugging Face cache stores shards as links to blobs elsewhere: followed.
    func testShardsThatAreSymbolicLinksAreFollowed() throws {
        let dir = try shardedCopy()
        let blobs = TestSupport.temporaryDirectory("blobs")
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".safetensors") {
            try FileManager.default.moveItem(atPath: "\(dir)/\(name)", toPath: "\(blobs)/\(name)")
            try FileManager.default.createSymbolicLink(atPath: "\(dir)/\(name)", withDestinationPath: "\(blobs)/\(name)")
        }
        let result = try HeadMapsExecutable.run(["scores", "--model", dir, "--relation", "name_copying", "--out", dir + "/s.json", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// A mistyped path to a secrets file must not print its lines.
    func testErrorsDoNotQuoteFilesThatAreNotInputsOfTheirKind() throws {
        let dir = TestSupport.temporaryDirectory("secrets")
        try "root:$6$SECRETHASH$abc:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n".write(toFile: dir + "/shadow", atomically: true, encoding: .utf8)
        let scores = dir + "/s.json"
        XCTAssertEqual(try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", scores, "--quiet"]).status, 0)
        let markers = try HeadMapsExecutable.run(["render", "--scores", scores, "--relation", "name_copying", "--markers", dir + "/shadow", "--out", dir + "/f.png"])
        XCTAssertEqual(markers.status, 2)
        XCTAssertTrue(markers.stderr.contains("has a key that is not a plain name (not shown)"), markers.stderr)
        XCTAssertFalse(markers.stderr.contains("SECRETHASH") || markers.stderr.contains("root"), markers.stderr)

        // The same file as a checkpoint: its first bytes are not shown as a "header length".
        let model = TestSupport.temporaryDirectory("secret-model") + "/m"
        try FileManager.default.copyItem(atPath: TestSupport.tinyModel, toPath: model)
        try FileManager.default.removeItem(atPath: model + "/model.safetensors")
        try FileManager.default.copyItem(atPath: dir + "/shadow", toPath: model + "/model.safetensors")
        let weights = try HeadMapsExecutable.run(["scores", "--model", model, "--relation", "name_copying", "--out", dir + "/t.json", "--quiet"])
        XCTAssertEqual(weights.status, 2)
        XCTAssertTrue(weights.stderr.contains("not a safetensors file"), weights.stderr)
        let firstEight = Data("root:$6$".utf8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertFalse(weights.stderr.contains(String(firstEight)), weights.stderr)
    }

    /// Titles from a spec with HTML, `|` and newlines stay text in report.md;
    /// the Reproduce line quotes its arguments for the shell.
    func testReportMarkdownEscapesSpecTextAndQuotesTheCommand() throws {
        let dir = TestSupport.temporaryDirectory("escape") + "/my specs"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        title: "Heads <script>alert(1)</script> | all"
        summary: "line one\\nline two | with a pipe"
        model: \(TestSupport.demoModel)
        relations: [name_copying]
        figures:
          - name: f
            panels:
              - relation: name_copying
                title: "a <b>bold</b> | panel"
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let markdown = try String(contentsOfFile: dir + "/spec/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("# Heads &lt;script&gt;alert(1)&lt;/script&gt; \\| all"), markdown)
        XCTAssertFalse(markdown.contains("<script>") || markdown.contains("<b>"), markdown)
        XCTAssertTrue(markdown.contains("line one line two \\| with a pipe"), markdown)
        XCTAssertTrue(markdown.contains("headmaps report '\(dir)/spec.yaml'"), markdown)
        let html = try String(contentsOfFile: dir + "/spec/report.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<script>alert"), "HTML escapes it too")
    }

    func testACacheRefThatLeadsOutOfTheCacheIsRefused() throws {
        let hub = TestSupport.temporaryDirectory("hub-escape")
        let repo = "\(hub)/models--openai-community--gpt2"
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/snapshots", withIntermediateDirectories: true)
        let outside = TestSupport.temporaryDirectory("outside")
        try FileManager.default.copyItem(atPath: TestSupport.tinyModel, toPath: outside + "/m")
        try "../../../\((outside as NSString).lastPathComponent)/m".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", "--model", "gpt2", "--out", TestSupport.temporaryDirectory("r") + "/r", "--quiet"],
                                                environment: ["HF_HUB_CACHE": hub, "HF_HOME": "/nonexistent"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("refs/main: is not a commit hash"), result.stderr)
    }
}
