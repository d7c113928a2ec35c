import Checkpoint
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import Tokenizer
import XCTest

/// A real trained model run from its GGUF file: prompts tokenized from the
/// file's own metadata to the ids llama.cpp's tokenizer gives, logits equal to
/// what transformers computes in float32 from the same file
/// (`fixtures/smollm2/oracle.json`, `transformers_logits.f32`), and the
/// answers the model is known for.
final class SmolLM2Tests: XCTestCase {
    struct Oracle: Decodable {
        struct Prompt: Decodable {
            let text: String
            let llamaCppIds: [Int]
            let hfIds: [Int]
            enum CodingKeys: String, CodingKey { case text, llamaCppIds = "llama_cpp_ids", hfIds = "hf_ids" }
        }
        let vocab: Int
        let prompts: [Prompt]
    }

    func oracle() throws -> Oracle {
        try JSONDecoder().decode(Oracle.self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.smollm2Fixtures + "/oracle.json")))
    }

    func model() throws -> (ForwardPass, any Tokenizer) {
        _ = TestSupport.singleThreadedBLAS
        let (weights, tokenizer) = try Architectures.openDecoder(modelDirectory: try TestSupport.smollm2())
        return (ForwardPass(weights: weights), tokenizer)
    }

    func testPromptsTokenizeAsLlamaCppFromTheFilesMetadata() throws {
        let (_, tokenizer) = try model()
        let oracle = try oracle()
        XCTAssertEqual(tokenizer.sequenceStart, [], "add_bos_token is false")
        for prompt in oracle.prompts {
            XCTAssertEqual(tokenizer.modelInput(prompt.text), prompt.llamaCppIds, prompt.text.debugDescription)
        }
        XCTAssertEqual(tokenizer.decode([7042]), " Paris")
    }

    func testTheModelAnswersParisTokyoAndMary() throws {
        let (forward, tokenizer) = try model()
        let expected = ["The capital of France is": " Paris", "The capital of Japan is": " Tokyo",
                        "John and Mary went to the store. John gave a bottle of milk to": " Mary"]
        for (prompt, answer) in expected {
            let logits = try forward.run([tokenizer.modelInput(prompt)]).logits
            let best = (0..<logits.cols).max { logits[0, $0] < logits[0, $1] }!
            XCTAssertEqual(tokenizer.decode([best]), answer, prompt)
        }
    }

    /// transformers dequantizes the same file and runs it in float32: every
    /// logit agrees within what two float32 implementations of this depth can differ by.
    func testLogitsEqualTransformersInFloat32() throws {
        let (forward, _) = try model()
        let oracle = try oracle()
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.smollm2Fixtures + "/transformers_logits.f32"))
        XCTAssertEqual(data.count, oracle.prompts.count * oracle.vocab * 4)
        for (p, prompt) in oracle.prompts.enumerated() {
            let ours = try forward.run([prompt.llamaCppIds]).logits
            var theirs = Matrix(rows: 1, cols: oracle.vocab)
            data.withUnsafeBytes { raw in
                for c in 0..<oracle.vocab { theirs[0, c] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * (p * oracle.vocab + c), as: UInt32.self)) }
            }
            let tolerance = try forward.weights.float32Tolerance(positions: prompt.llamaCppIds.count)
            TestSupport.assertRowsAgree(ours, theirs, tolerance: tolerance, prompt.text)
            let argmax = { (m: Matrix) in (0..<m.cols).max { m[0, $0] < m[0, $1] }! }
            XCTAssertEqual(argmax(ours), argmax(theirs), prompt.text)
        }
    }
}
