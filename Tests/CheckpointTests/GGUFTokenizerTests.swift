import Checkpoint
import Foundation
import HeadMapsTestSupport
import Tokenizer
import XCTest

/// Tokenizers read from GGUF metadata give llama.cpp's own ids
/// (`fixtures/*/llama_cpp_ids.json`, written once by
/// `Tests/crosscheck/llama_cpp_token_ids.py` with llama-cpp-python).
final class GGUFTokenizerTests: XCTestCase {
    struct Case: Decodable { let text: String; let ids: [Int] }

    func assertLlamaCppIDs(_ model: String, oracle: String, line: UInt = #line) throws -> any Tokenizer {
        let tokenizer = try GGUFTokenizer.load(try GGUFFile(path: model))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: oracle)))
        XCTAssertGreaterThan(cases.count, 20, line: line)
        for c in cases {
            XCTAssertEqual(tokenizer.modelInput(c.text), c.ids, c.text.debugDescription, line: line)
        }
        return tokenizer
    }

    /// SentencePiece with scores (`tokenizer.ggml.model = llama`), 262,144
    /// pieces with byte fallback, `<bos>` first as the file asks, no space prefix.
    func testGemma3TokenizesAsLlamaCpp() throws {
        let tokenizer = try assertLlamaCppIDs(try TestSupport.gemma3(), oracle: TestSupport.repositoryRoot + "/fixtures/gemma3/llama_cpp_ids.json")
        XCTAssertEqual(tokenizer.count, 262_144)
        XCTAssertEqual(tokenizer.sequenceStart, [2])
        let paris = try XCTUnwrap(tokenizer.wordToken("Paris"))
        XCTAssertEqual(tokenizer.decode([paris]), " Paris")
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("naïve 東京 🙂")), "naïve 東京 🙂")
    }
}
