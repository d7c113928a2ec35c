import Checkpoint
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import Tokenizer
import XCTest

/// Real trained models run from their GGUF files (SmolLM2-135M-Instruct,
/// Gemma 3 270M): prompts tokenized from the file's own metadata to the ids
/// llama.cpp's tokenizer gives, logits equal to what transformers computes in
/// float32 from the same file (`fixtures/<model>/oracle.json`,
/// `transformers_logits.f32`, written once by `Tests/crosscheck/gguf_oracle.py`),
/// and the answers the models are known for.
final class RealGGUFModelTests: XCTestCase {
    struct Oracle: Decodable {
        struct Prompt: Decodable {
            let text: String
            let llamaCppIds: [Int]
            enum CodingKeys: String, CodingKey { case text, llamaCppIds = "llama_cpp_ids" }
        }
        let vocab: Int
        /// The logits file keeps every `every`-th vocabulary id.
        let every: Int?
        let prompts: [Prompt]
    }

    static let answers = ["The capital of France is": " Paris", "The capital of Japan is": " Tokyo",
                          "John and Mary went to the store. John gave a bottle of milk to": " Mary", "One, two, three, four,": " five"]

    func model(_ path: String) throws -> (ForwardPass, any Tokenizer) {
        _ = TestSupport.singleThreadedBLAS
        let (weights, tokenizer) = try Architectures.openDecoder(modelDirectory: path)
        return (ForwardPass(weights: weights), tokenizer)
    }

    /// Tokenization, answers and logits against the model's oracle files.
    func assertAgreesWithItsOracle(_ path: String, fixtures: String, answers: [String: String], line: UInt = #line) throws {
        let (forward, tokenizer) = try model(path)
        let oracle = try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/oracle.json")))
        let logits = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/transformers_logits.f32"))
        let every = oracle.every ?? 1, columns = (oracle.vocab + every - 1) / every
        XCTAssertEqual(logits.count, oracle.prompts.count * columns * 4, line: line)
        for (p, prompt) in oracle.prompts.enumerated() {
            XCTAssertEqual(tokenizer.modelInput(prompt.text), prompt.llamaCppIds, prompt.text.debugDescription, line: line)
            let ours = try forward.run([prompt.llamaCppIds]).logits
            XCTAssertEqual(ours.cols, oracle.vocab, line: line)
            var theirs = Matrix(rows: 1, cols: columns)
            logits.withUnsafeBytes { raw in
                for c in 0..<columns { theirs[0, c] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * (p * columns + c), as: UInt32.self)) }
            }
            let kept = Matrix(rows: 1, cols: columns, storage: (0..<columns).map { ours[0, $0 * every] })
            TestSupport.assertRowsAgree(kept, theirs, tolerance: try forward.weights.float32Tolerance(positions: prompt.llamaCppIds.count),
                                        prompt.text, line: line)
            let best = (0..<ours.cols).max { ours[0, $0] < ours[0, $1] }!
            if let answer = answers[prompt.text] { XCTAssertEqual(tokenizer.decode([best]), answer, prompt.text, line: line) }
        }
        XCTAssertEqual(Set(oracle.prompts.map(\.text)).intersection(answers.keys).count, answers.count, "every answer checked", line: line)
    }

    func testSmolLM2AnswersAndAgreesWithLlamaCppAndTransformers() throws {
        try assertAgreesWithItsOracle(try TestSupport.smollm2(), fixtures: TestSupport.smollm2Fixtures, answers: Self.answers)
        let (_, tokenizer) = try model(try TestSupport.smollm2())
        XCTAssertEqual(tokenizer.sequenceStart, [], "add_bos_token is false")
        XCTAssertEqual(tokenizer.decode([7042]), " Paris")
    }

    /// Gemma 3: q/k norms per head, five sliding layers (base 10,000) to each
    /// global one (base 1,000,000), scores scaled by query_pre_attn_scalar^-½.
    /// It answers " the" after "The capital of France is" (" Paris" is third).
    func testGemma3AnswersAndAgreesWithLlamaCppAndTransformers() throws {
        var answers = Self.answers
        answers["The capital of France is"] = nil
        try assertAgreesWithItsOracle(try TestSupport.gemma3(), fixtures: TestSupport.repositoryRoot + "/fixtures/gemma3", answers: answers)
    }
}
