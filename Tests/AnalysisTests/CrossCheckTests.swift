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

    /// Checkpoints written by transformers' own `save_pretrained` (Llama in BF16
    /// shards, Gemma 2 with a SentencePiece-style tokenizer.json): every
    /// relation at the family's k, and three at k = 100 where the random heads'
    /// scores spread out.
    func testNumpyAgreesOnCheckpointsWrittenByTransformers() throws {
        let all = BuiltinRelations.names
        for model in TestSupport.transformersModels {
            let label = (model as NSString).lastPathComponent
            try assertNumpyAgrees(model, relations: all, minimumPairs: 1, label: label)
            try assertNumpyAgrees(model, relations: ["name_copying", "country_to_capital", "word_to_antonym"], k: 100, label: label + " k=100")
        }
    }

    func assertNumpyAgrees(_ model: String, relations: [String], k: Int? = nil, minimumPairs: Int = TokenizedRelation.defaultMinimumPairs,
                           label: String = "", line: UInt = #line) throws {
        let numpy = try TestSupport.numpyScores(model, relations: relations, k: k)
        let ours = try TestSupport.score(model, relations: relations, k: k, minimumPairs: minimumPairs)
        XCTAssertEqual(numpy.count, relations.count, label, line: line)
        for (theirs, mine) in zip(numpy, ours) {
            let what = "\(label) \(mine.name)"
            XCTAssertEqual(theirs["name"] as? String, mine.name, line: line)
            XCTAssertEqual(theirs["pairs_kept"] as? Int, mine.pairsKept, what, line: line)
            XCTAssertEqual(theirs["k"] as? Int, mine.k, what, line: line)
            guard mine.pairsKept > 0 else { continue }
            // Compared as counts of pairs: Foundation's JSON reader may round
            // the last digit of a fraction such as 1/63 differently from Python's writer.
            func counts(_ key: String) -> [[Int]]? {
                (theirs[key] as? [[Double]])?.map { $0.map { Int(($0 * Double(mine.pairsKept)).rounded()) } }
            }
            XCTAssertEqual(counts("scores"), mine.hits, what, line: line)
            XCTAssertEqual(counts("suppression"), mine.suppressionHits, what, line: line)
        }
    }
}
