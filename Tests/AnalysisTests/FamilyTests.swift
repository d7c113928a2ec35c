import Analysis
import Checkpoint
import Foundation
import HeadMapsTestSupport
import PlantedModels
import Tokenizer
import XCTest

/// Every supported family, through its adapter: planted heads score exactly
/// as planted, whatever the layout their weights are stored in.
final class FamilyTests: XCTestCase {
    func testPlantedHeadsScoreAsPlantedInEveryFamily() throws {
        for architecture in FixtureArchitecture.allCases {
            let dir = TestSupport.familyModel(architecture)
            let planted = try PlantedCheckpoint.plantedHeads(in: dir)
            let scores = try TestSupport.score(dir, relations: ["name_copying", "country_to_capital"])
            for head in planted {
                let relation = try XCTUnwrap(scores.first { $0.name == head.relation })
                XCTAssertEqual(relation.scores[head.layer][head.head], head.expectedScore, "\(architecture) \(head.role) at \(head.layer).\(head.head)")
                XCTAssertEqual(relation.suppression[head.layer][head.head], head.expectedSuppression, "\(architecture) \(head.role) at \(head.layer).\(head.head)")
            }
            XCTAssertEqual(scores.map(\.pairsKept), [180, 100], "\(architecture): every planted word is one token of its tokenizer.json")
        }
    }

    func testEachFamilyIsReadInItsOwnLayout() throws {
        let llama = try Architectures.open(modelDirectory: TestSupport.familyModel(.llama))
        XCTAssertEqual(llama.weights.architecture, "Llama")
        XCTAssertEqual(llama.checkpoint.files.count, 2, "two BF16 shards through model.safetensors.index.json")
        XCTAssertNotNil(llama.checkpoint.indexFile)
        XCTAssertEqual(llama.weights.shape.kvHeads, 2)
        XCTAssertFalse(llama.weights.unembedding === llama.weights.embedding, "Llama's fixture is untied")
        XCTAssertTrue(llama.tokenizer is ByteLevelBPE && llama.tokenizer.files.first!.hasSuffix("tokenizer.json"))

        let mixtral = try Architectures.open(modelDirectory: TestSupport.familyModel(.mixtral))
        guard case .mixture(let experts) = mixtral.weights.firstMLP.network else {
            return XCTFail("Mixtral's block 0 is a mixture of experts")
        }
        XCTAssertEqual(experts.experts.count, 4)
        XCTAssertEqual(experts.topK, 2)
        XCTAssertTrue(experts.normalizesTopK, "Mixtral divides its top-k probabilities by their sum")

        let gemma = try Architectures.open(modelDirectory: TestSupport.familyModel(.gemma2))
        XCTAssertEqual(gemma.weights.shape.dHead, 32, "head_dim from the config, not d_model / heads")
        XCTAssertEqual(gemma.weights.embeddingScale, 8, "sqrt(d_model) = sqrt(64)")
        XCTAssertEqual(gemma.weights.firstMLP.norm.weightOffset, 1)
        XCTAssertTrue(gemma.weights.unembedding === gemma.weights.embedding, "Gemma ties its embeddings")

        let neox = try Architectures.open(modelDirectory: TestSupport.familyModel(.neox))
        XCTAssertEqual(neox.weights.shape.vocab % 128, 0, "padded rows, as Pythia's")
        XCTAssertGreaterThan(neox.weights.shape.vocab, neox.tokenizer.count, "the padding rows are part of the vocabulary scored")
        XCTAssertEqual(neox.weights.firstMLP.dense?.activation, .gelu)

        let phi = try Architectures.open(modelDirectory: TestSupport.familyModel(.phi))
        XCTAssertEqual(phi.weights.firstMLP.norm.kind, .layerNorm)
        XCTAssertNil(phi.weights.firstMLP.dense?.upWeight)
        XCTAssertEqual(try Architectures.open(modelDirectory: TestSupport.familyModel(.qwen2)).weights.firstMLP.dense?.activation, .silu)
    }

    /// Under grouped-query attention the query heads of one KV head share
    /// `W_V` (and its storage), and the scorer computes `x·W_V` once for them.
    func testQueryHeadsOfOneKVHeadShareTheirValueWeights() throws {
        let model = try Architectures.open(modelDirectory: TestSupport.familyModel(.llama)).weights
        let heads = try model.heads(ofLayer: 2)
        XCTAssertEqual(heads.map(\.valueGroup), [0, 0, 1, 1])
        XCTAssertEqual(heads[2].valueWeights, heads[3].valueWeights)
        XCTAssertNotEqual(heads[1].valueWeights, heads[2].valueWeights)
        XCTAssertNotEqual(heads[2].outputWeights, heads[3].outputWeights)
        // The planted copying and suppression heads share KV head 1.
        let planted = try PlantedCheckpoint.plantedHeads(in: TestSupport.familyModel(.llama))
        XCTAssertTrue(planted.contains { $0.layer == 2 && $0.head == 2 && $0.role == .copying })
        XCTAssertTrue(planted.contains { $0.layer == 2 && $0.head == 3 && $0.role == .suppression })
    }

    func testSourcesFromTheEmbeddingAtEveryLayerAreOffered() throws {
        let dir = TestSupport.familyModel(.llama)
        let method = try TestSupport.score(dir, relations: ["name_copying"])[0]
        let embedding = try TestSupport.score(dir, relations: ["name_copying"], sourceRule: .embedding)[0]
        XCTAssertEqual(embedding.sourceRule, "embedding")
        XCTAssertEqual(method.scores[0], embedding.scores[0], "layer 0 reads the embedding under both rules")
        XCTAssertEqual(embedding.scores[2][2], 1, "the codes are in the raw embedding too")
        let loaded = try Architectures.open(modelDirectory: dir)
        let tokenized = TokenizedRelation(try BuiltinRelations.load("name_copying"), tokenizer: loaded.tokenizer)
        let reference = try ReferenceScorer(model: loaded.weights, sourceRule: .embedding).score([tokenized])[0]
        XCTAssertEqual(reference.scores, embedding.scores)
        XCTAssertEqual(reference.suppression, embedding.suppression)
    }

    func testATokenizerLargerThanTheModelKeepsOnlyPairsWithRows() throws {
        let tokenizer = try TestSupport.requireGPT2Tokenizer()
        let relation = Relation(name: "r", title: "R", category: "t", pairs: [.init("Paris", "France"), .init("Berlin", "Germany")], origin: "test")
        let all = TokenizedRelation(relation, tokenizer: tokenizer, minimumPairs: 1)
        XCTAssertEqual(all.pairsKept, 2)
        // " Paris" 6342, " France" 4881, " Berlin" 11307, " Germany" 4486: with 7000 rows Berlin has none.
        let fewer = TokenizedRelation(relation, tokenizer: tokenizer, rows: 7000, minimumPairs: 1)
        XCTAssertEqual(fewer.keptPairs, [.init("Paris", "France")])
    }
}

/// The paper's k for Llama 3 (3 for copying relations, 25 for the others),
/// recognised from the config and the 128k vocabulary, said in the log and
/// recorded in the scores.
final class LlamaThreeRuleTests: XCTestCase {
    func testALlama3SizedVocabularyGetsThePapersK() throws {
        let dir = TestSupport.temporaryDirectory("llama3")
        let shape = PlantedCheckpoint.Shape(name: "llama3-vocab", layers: 2, heads: 4, dModel: 64, vocabSize: 128_256, positions: 64)
        let planted = try FamilyFixture(PlantedCheckpoint(shape: shape, seed: 3), architecture: .llama).write(to: dir)
        _ = TestSupport.singleThreadedBLAS
        var lines: [String] = []
        let analysis = try ModelAnalysis(.init(modelPath: dir, relations: [try BuiltinRelations.load("name_copying"), try BuiltinRelations.load("country_to_capital")]),
                                         log: { lines.append($0) })
        XCTAssertTrue(lines.contains { $0.contains("k = 3 for copying relations, 25 otherwise") && $0.contains("Llama 3") }, "\(lines)")
        let scores = analysis.document.relations
        XCTAssertEqual(scores.map(\.k), [3, 25])
        XCTAssertEqual(scores.map(\.kRule), ["llama3", "llama3"])
        XCTAssertTrue(analysis.document.encoded().contains("\"k_rule\": \"llama3\""))
        for head in planted where [.copying, .suppression, .capital].contains(head.role) {
            let relation = scores.first { $0.name == head.relation }!
            XCTAssertEqual(relation.scores[head.layer][head.head], head.expectedScore, "\(head.role) \(head.layer).\(head.head)")
            XCTAssertEqual(relation.suppression[head.layer][head.head], head.expectedSuppression)
        }
        // An explicit k overrides the family's rule, and says so.
        let explicit = try ModelAnalysis(.init(modelPath: dir, relations: [try BuiltinRelations.load("name_copying")], k: 1))
        XCTAssertEqual(explicit.document.relations[0].kRule, "explicit")
        XCTAssertEqual(explicit.document.relations[0].k, 1)
    }

    func testLlama2SizedVocabulariesKeepTheStandardRule() throws {
        let loaded = try Architectures.open(modelDirectory: TestSupport.familyModel(.llama))
        XCTAssertEqual(loaded.weights.defaultK, .standard)
    }
}
