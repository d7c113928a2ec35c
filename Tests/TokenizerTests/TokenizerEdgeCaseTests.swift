import Foundation
import HeadMapsTestSupport
import Tokenizer
import XCTest

/// Corners of tokenizer.json where a reader easily differs from Hugging Face
/// `tokenizers` (the oracle, run in a subprocess on the same file): a merge
/// listed twice, added tokens' `lstrip`, `rstrip` and `single_word`, the
/// Roberta and Bert post-processors, a `Split` pattern that matches the empty string.
final class TokenizerEdgeCaseTests: XCTestCase {
    static let texts = ["abc", "a <m> b", "a<m>b", "ab<m> a", " <m>  ab", "<m>", "a  <m>", "ab abc bc", "_<m>_", "é<m> é"]

    /// A small byte-level tokenizer.json, changed by `change`.
    func file(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var root: [String: Any] = [
            "version": "1.0", "added_tokens": [Any](), "normalizer": NSNull(), "post_processor": NSNull(),
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "<s>": 6, "</s>": 7, "Ġ": 8, "Ġa": 9, "<m>": 10, "Ġab": 11,
                          "_": 12, "Ã": 13, "©": 14, "Ã©": 15, "Ġé": 16, "<": 17, "m": 18, ">": 19],
                "merges": ["b c", "a b", "ab c", "b c", "Ġ a", "Ġa b", "Ã ©"],
            ] as [String: Any],
        ]
        change(&root)
        let path = TestSupport.temporaryDirectory("edge-\(name)") + "/tokenizer.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertMatchesHuggingFace(_ path: String, _ what: String, line: UInt = #line) throws {
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        t = Tokenizer.from_file(sys.argv[1])
        print(json.dumps([t.encode(x).ids for x in json.loads(sys.stdin.read())]))
        """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: Self.texts), as: UTF8.self)
        let result = try TestSupport.python(["-c", script, path], stdin: input)
        XCTAssertEqual(result.status, 0, result.stderr, line: line)
        let expected = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Int]] ?? []
        XCTAssertEqual(expected.count, Self.texts.count, line: line)
        let ours = try TokenizerJSON.load(path)
        for (text, ids) in zip(Self.texts, expected) {
            // Hugging Face appends a post-processor's closing token; a prompt is continued, so HeadMaps does not.
            let theirs = ids.last == 7 && ids.first == 6 ? Array(ids.dropLast()) : ids
            XCTAssertEqual(ours.modelInput(text), theirs, "\(what): \(text.debugDescription)", line: line)
        }
    }

    func addedToken(_ flags: [String: Bool]) -> (inout [String: Any]) -> Void {
        { root in
            var token: [String: Any] = ["id": 10, "content": "<m>", "single_word": false, "lstrip": false, "rstrip": false,
                                        "normalized": false, "special": true]
            for (key, value) in flags { token[key] = value }
            root["added_tokens"] = [token]
        }
    }

    func testAMergeListedTwiceRanksWhereItIsListedLast() throws {
        try assertMatchesHuggingFace(try file("merges") { _ in }, "merges")
        XCTAssertEqual(try TokenizerJSON.load(try file("merges2") { _ in }).encode("abc"), [5])
    }

    func testAddedTokensStripAndStandAloneAsDeclared() throws {
        try assertMatchesHuggingFace(try file("plain", addedToken([:])), "no flags")
        try assertMatchesHuggingFace(try file("lstrip", addedToken(["lstrip": true])), "lstrip")
        try assertMatchesHuggingFace(try file("rstrip", addedToken(["rstrip": true])), "rstrip")
        try assertMatchesHuggingFace(try file("both", addedToken(["lstrip": true, "rstrip": true])), "lstrip and rstrip")
        try assertMatchesHuggingFace(try file("single", addedToken(["single_word": true])), "single_word")
    }

    func testRobertaAndBertProcessorsStartEveryText() throws {
        for type in ["RobertaProcessing", "BertProcessing"] {
            let path = try file(type) { root in
                var processor: [String: Any] = ["type": type, "sep": ["</s>", 7], "cls": ["<s>", 6]]
                if type == "RobertaProcessing" { processor["trim_offsets"] = true; processor["add_prefix_space"] = false }
                root["post_processor"] = processor
            }
            try assertMatchesHuggingFace(path, type)
            XCTAssertEqual(try TokenizerJSON.load(path).modelInput("ab"), [6, 3])
        }
    }

    func testASplitPatternThatMatchesTheEmptyStringSplitsThere() throws {
        let path = try file("split-empty") { root in
            root["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": "x*"], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false],
            ]]
        }
        try assertMatchesHuggingFace(path, "Split x*")
        XCTAssertEqual(try TokenizerJSON.load(path).encode("abc"), [0, 1, 2])
    }
}
