import Foundation
import HeadMapsTestSupport
import Tokenizer
import XCTest

/// `tokenizer.json` files of real models against Hugging Face `tokenizers`
/// (the oracle, run in a subprocess over the same file), on text that
/// exercises what their pre-tokenizers split: contractions in both cases,
/// digit runs, whitespace runs, punctuation, accented and CJK letters, emoji.
final class TokenizerJSONTests: XCTestCase {
    static let texts = [
        "Hello, world! I'm here; you're THERE, they'LL go, we'VE seen it's done.",
        "In 1999 the price was 1234567 dollars, or 3.14159 per 2024-12-02 unit",
        "  leading spaces, two  spaces, tabs\t\there\nnew line\n\n\nthree and trailing   ",
        "Ünïcödé àccents: café, naïve, Straße, São Paulo, Zürich, Ελληνικά, русский",
        "中文字符 日本語のテキスト 한국어 텍스트 and mixed漢字text",
        "emoji 🙂👍🏽 flags 🇫🇷 and symbols ∑∫√ ©®™ — “quotes” «guillemets» ...!!!???",
        " Paris", " Tbilisi", " Ouagadougou", " gazed", "x   \n\n  y", "'s'S'T'Re", "A\r\nB\rC",
    ]

    /// The oracle's ids for every text, without special tokens: from a
    /// tokenizer.json, or from GPT-2's original vocabulary and merges files.
    func oracleIDs(_ file: String, merges: String? = nil, specialTokens: Bool = false) throws -> [[Int]] {
        let script = """
        import json, sys
        from tokenizers import Tokenizer, models, pre_tokenizers
        if len(sys.argv) > 2:
            t = Tokenizer(models.BPE.from_file(sys.argv[1], sys.argv[2]))
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        else:
            t = Tokenizer.from_file(sys.argv[1])
        print(json.dumps([t.encode(x, add_special_tokens=\(specialTokens ? "True" : "False")).ids for x in json.loads(sys.stdin.read())]))
        """
        let input = String(decoding: try JSONSerialization.data(withJSONObject: Self.texts), as: UTF8.self)
        let result = try TestSupport.python(["-c", script, file] + (merges.map { [$0] } ?? []), stdin: input)
        XCTAssertEqual(result.status, 0, "the tokenizers oracle failed (scripts/install-deps --tests installs it): \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Int]] ?? []
    }

    func assertMatchesOracle(_ file: String, line: UInt = #line) throws {
        let ours: any Tokenizer = try TokenizerJSON.load(file)
        let expected = try oracleIDs(file)
        XCTAssertEqual(expected.count, Self.texts.count, line: line)
        for (text, ids) in zip(Self.texts, expected) {
            XCTAssertEqual(ours.encode(text), ids, "\(text.debugDescription)", line: line)
        }
    }

    func testLlama3TokenizerMatchesHuggingFaceOnEveryText() throws {
        try assertMatchesOracle(try TestSupport.llama3TokenizerFile())
    }

    /// What the model reads: the post-processor's leading special tokens,
    /// then the text, as Hugging Face encodes by default.
    func testModelInputStartsWithThePostProcessorsSpecialTokens() throws {
        let llama = try TokenizerJSON.load(try TestSupport.llama3TokenizerFile())
        XCTAssertEqual(llama.sequenceStart, [128_000], "<|begin_of_text|>")
        let neox = try TokenizerJSON.load(TestSupport.neoxTokenizerFile)
        XCTAssertEqual(neox.sequenceStart, [], "GPT-NeoX-20B adds nothing")
        for (tokenizer, file) in [(llama, try TestSupport.llama3TokenizerFile()), (neox, TestSupport.neoxTokenizerFile)] {
            for (text, ids) in zip(Self.texts, try oracleIDs(file, specialTokens: true)) {
                XCTAssertEqual(tokenizer.modelInput(text), ids, "\(text.debugDescription)")
            }
        }
    }

    func testGPT2VocabularyAndMergesMatchHuggingFaceOnEveryText() throws {
        let ours = try TestSupport.requireGPT2Tokenizer()
        let dir = try TestSupport.gpt2VocabularyDirectory()
        let expected = try oracleIDs(dir + "/encoder.json", merges: dir + "/vocab.bpe")
        XCTAssertEqual(expected.count, Self.texts.count)
        for (text, ids) in zip(Self.texts, expected) {
            XCTAssertEqual(ours.encode(text), ids, text.debugDescription)
        }
    }

    /// SmolLM2's tokenizer.json as transformers converts it from the GGUF
    /// file's metadata (`fixtures/smollm2/tokenizer.json`).
    func testSmolLM2TokenizerMatchesHuggingFaceOnEveryText() throws {
        try assertMatchesOracle(TestSupport.repositoryRoot + "/fixtures/smollm2/tokenizer.json")
    }

    /// Older transformers wrote SmolLM2's tokenizer.json with `byte_fallback:
    /// true` in its BPE model and a SentencePiece-style decoder beside the
    /// ByteLevel pre-tokenizer. The pipeline decides: it is byte-level, " Paris"
    /// is one token, and tokens decode to their text.
    func testAByteLevelPreTokenizerIsByteLevelWhateverByteFallbackSays() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/smollm2/tokenizer.json"
        var root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source))) as! [String: Any]
        var model = root["model"] as! [String: Any]
        model["byte_fallback"] = true
        root["model"] = model
        root["decoder"] = ["type": "Sequence", "decoders": [
            ["type": "Replace", "pattern": ["String": "▁"], "content": " "], ["type": "ByteFallback"], ["type": "Fuse"],
        ]]
        let file = TestSupport.temporaryDirectory("byte-fallback") + "/tokenizer.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: file))
        try assertMatchesOracle(file)
        let tokenizer = try TokenizerJSON.load(file)
        XCTAssertEqual(tokenizer.encode(" Paris"), [7042])
        XCTAssertEqual(tokenizer.encode("The capital of France is"), [504, 3575, 282, 4649, 314])
        XCTAssertEqual(tokenizer.decode([7042]), " Paris")
    }

    func testNeoXTokenizerMatchesHuggingFaceOnEveryText() throws {
        try assertMatchesOracle(TestSupport.neoxTokenizerFile)
    }

    /// SentencePiece-style files (`▁` for spaces, byte fallback for what the
    /// vocabulary lacks): Gemma's layout as transformers wrote it for the
    /// fixture, Llama 2's (a `▁` prepended by the normalizer) and Mistral
    /// v0.1's (a `Metaspace` pre-tokenizer).
    func testSentencePieceStyleFilesMatchHuggingFaceOnEveryText() throws {
        let gemma = TestSupport.repositoryRoot + "/fixtures/models/hf/gemma2/tokenizer.json"
        try assertMatchesOracle(gemma)
        let dir = TestSupport.temporaryDirectory("sp")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: gemma))) as! [String: Any]
        json["normalizer"] = ["type": "Sequence", "normalizers": [["type": "Prepend", "prepend": "▁"],
                                                                  ["type": "Replace", "pattern": ["String": " "], "content": "▁"]]]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/llama2.json"))
        try assertMatchesOracle(dir + "/llama2.json")
        json["normalizer"] = NSNull()
        json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": false]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/mistral.json"))
        try assertMatchesOracle(dir + "/mistral.json")
        // Split before every ▁, prefix only at the start of the text; and a Split on spaces kept with the word before.
        json["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/metaspace-first.json"))
        try assertMatchesOracle(dir + "/metaspace-first.json")
        json["normalizer"] = ["type": "Replace", "pattern": ["String": " "], "content": "▁"]
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["String": "▁"], "behavior": "MergedWithNext", "invert": false]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/split.json"))
        try assertMatchesOracle(dir + "/split.json")

        // A word inside a sentence is "▁word" under each of the three.
        for file in [gemma, dir + "/llama2.json", dir + "/mistral.json"] {
            let tokenizer = try TokenizerJSON.load(file)
            XCTAssertTrue(tokenizer is SentencePieceBPE)
            let paris = try XCTUnwrap(tokenizer.wordToken("Paris"), file)
            XCTAssertEqual(tokenizer.decode([paris]), " Paris")
        }
        let sp = try TokenizerJSON.load(gemma)
        XCTAssertEqual(sp.decode(sp.encode("naïve 中文 🙂")), "naïve 中文 🙂", "byte fallback round-trips what the vocabulary lacks")
    }

    func testLlama3SplitsDigitsInRunsOfThreeAndKnowsItsWords() throws {
        let llama = try TokenizerJSON.load(try TestSupport.llama3TokenizerFile())
        XCTAssertEqual(llama.count, 128_257, "128,000 BPE tokens, 256 reserved and special, and <|image|>")
        XCTAssertEqual(llama.encode(" Paris 2024"), [12366, 220, 2366, 19])
        XCTAssertEqual(llama.encode("1234567"), [4513, 10961, 22])
        XCTAssertEqual(llama.encode("<|begin_of_text|>hi"), [128000, 6151], "added tokens are matched before pre-tokenization")
        XCTAssertEqual(llama.wordToken("Paris"), 12366)
        XCTAssertEqual(llama.decode([12366, 220, 2366, 19]), " Paris 2024")
    }

    func testNeoXMatchesItsRunsOfSpacesAsAddedTokens() throws {
        let neox = try TokenizerJSON.load(TestSupport.neoxTokenizerFile)
        XCTAssertEqual(neox.count, 50_277)
        XCTAssertEqual(neox.wordToken("Paris"), 7785)
    }

    func testUnsupportedPartsAreNamedWithTheFile() throws {
        let dir = TestSupport.temporaryDirectory("tokjson")
        func check(_ json: String, _ expected: String) throws {
            let path = dir + "/tokenizer.json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TokenizerJSON.load(path)) { error in
                XCTAssertTrue("\(error)".contains(path) && "\(error)".contains(expected), "\(error)")
            }
        }
        try check(#"{"model": {"type": "Unigram", "vocab": []}}"#, "model type 'Unigram' is not supported (supported: BPE)")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}}"#, "pre-tokenizer 'Whitespace' is not supported")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?<=a)b"}, "behavior": "Isolated"}}"#, "group '(?<' is not supported")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "a"]]}}"#, "merge 1 'a a'")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": true}, "merges": []}}"#, "token 'a' has id true; ids must be non-negative integers")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a*)*b"}, "behavior": "Isolated"}}"#,
                  "the pattern backtracks too much to be used")
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "byte_fallback": true}, "pre_tokenizer": {"type": "Whitespace"}}"#,
                  "pre-tokenizer 'Whitespace' is not supported")
    }
}
