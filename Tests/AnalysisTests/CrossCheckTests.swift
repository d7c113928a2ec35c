import Analysis
import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

/// HeadMaps against an independent implementation in another language
/// (`Tests/crosscheck/maps_numpy.py`: numpy, its own safetensors reader and
/// BPE, the paper's full-logits computation).
final class CrossCheckTests: XCTestCase {
    func testNumpyImplementationOfThePaperComputationAgrees() throws {
        let relations = ["name_copying", "country_to_capital", "word_to_antonym", "year_to_following"]
        try assertNumpyAgrees(TestSupport.tinyModel, relations: relations)
    }

    /// Every family's planted fixture in its own layout (NeoX's interleaved
    /// QKV, Phi's shared norm, Llama's BF16 shards and GQA, Qwen2's biases,
    /// Gemma 2's head_dim, scaled embedding and (1 + w) norm), read by numpy
    /// from the tensor names alone: every head of every layer agrees.
    func testNumpyAgreesOnEveryFamilysFixture() throws {
        for architecture in FixtureArchitecture.allCases where architecture != .gpt2 {
            try assertNumpyAgrees(TestSupport.familyModel(architecture), relations: ["name_copying", "country_to_capital", "word_to_antonym"],
                                  label: architecture.rawValue)
        }
    }

    func assertNumpyAgrees(_ model: String, relations: [String], label: String = "", line: UInt = #line) throws {
        let numpy = try TestSupport.numpyScores(model, relations: relations)
        let ours = try TestSupport.score(model, relations: relations)
        XCTAssertEqual(numpy.count, relations.count, label, line: line)
        for (theirs, mine) in zip(numpy, ours) {
            let what = "\(label) \(mine.name)"
            XCTAssertEqual(theirs["name"] as? String, mine.name, line: line)
            XCTAssertEqual(theirs["pairs_kept"] as? Int, mine.pairsKept, what, line: line)
            XCTAssertEqual(theirs["k"] as? Int, mine.k, what, line: line)
            XCTAssertEqual(theirs["scores"] as? [[Double]], mine.scores, what, line: line)
            XCTAssertEqual(theirs["suppression"] as? [[Double]], mine.suppression, what, line: line)
        }
    }
}
