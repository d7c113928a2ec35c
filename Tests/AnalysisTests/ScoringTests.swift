import Analysis
import Checkpoint
import LinearAlgebra
import PlantedModels
import HeadMapsTestSupport
import XCTest

final class ScoringTests: XCTestCase {
    static let figureRelations = ["name_copying", "country_to_capital"]

    func assertPlantedScores(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let planted = try PlantedCheckpoint.plantedHeads(in: path)
        let scores = try TestSupport.score(path, relations: Self.figureRelations)
        XCTAssertTrue(planted.contains { $0.layer == 0 } && planted.contains { $0.layer > 0 }, "both source rules covered", file: file, line: line)
        for p in planted {
            let r = scores.first { $0.name == p.relation }!
            XCTAssertEqual(r.scores[p.layer][p.head], p.expectedScore, "\(p.role) at \(p.layer).\(p.head)", file: file, line: line)
            XCTAssertEqual(r.suppression[p.layer][p.head], p.expectedSuppression, "\(p.role) at \(p.layer).\(p.head)", file: file, line: line)
        }
        let plantedCells = Set(planted.map { "\($0.layer).\($0.head)" })
        for r in scores {
            for (l, row) in r.scores.enumerated() {
                for (h, s) in row.enumerated() where !plantedCells.contains("\(l).\(h)") {
                    XCTAssertLessThan(s, 0.05, "random head \(l).\(h) on \(r.name)", file: file, line: line)
                    XCTAssertLessThan(r.suppression[l][h], 0.05, "random head \(l).\(h) on \(r.name)", file: file, line: line)
                }
            }
        }
    }

    func testPlantedHeadsOfTheTinyFixtureGetTheirKnownScores() throws {
        try assertPlantedScores(TestSupport.tinyModel)
    }

    func testPlantedHeadsOfTheCommittedDemoFixtureGetTheirKnownScores() throws {
        let planted = try PlantedCheckpoint.plantedHeads(in: TestSupport.demoModel)
        XCTAssertEqual(planted.first { $0.role == .nearThresholdMiss }?.expectedScore, 0.5)
        try assertPlantedScores(TestSupport.demoModel)
    }

    func testFastScorerAgreesWithFullSortReference() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let tokenized = try ["name_copying", "country_to_capital", "year_to_following", "noun_to_pronoun"].map {
            TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer)
        }
        let reference = try ReferenceScorer(model: model, ranking: .fullSort).score(tokenized)
        var scorer = RelationScorer(model: model)
        XCTAssertEqual(try scorer.score(tokenized).0, reference)
        // Small blocks: many blocks, both product routes, rows leaving early.
        scorer.blockSize = 97
        let (small, stats) = try scorer.score(tokenized)
        XCTAssertEqual(small, reference)
        XCTAssertGreaterThan(stats.decidedAfterBlocks[0], 0, "most rows are decided in the first block")
        XCTAssertGreaterThan(stats.undecided, 0, "planted hits need the whole vocabulary")
        XCTAssertEqual(stats.decidedAfterBlocks.reduce(0, +) + stats.undecided, stats.headCount * stats.rowsPerHead)
    }

    func testCountingReferenceAgreesOnAllRelations() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let tokenized = try BuiltinRelations.loadAll().map { TokenizedRelation($0, tokenizer: tokenizer) }
        XCTAssertEqual(try RelationScorer(model: model).score(tokenized).0, try ReferenceScorer(model: model).score(tokenized))
    }

    func testResultDoesNotDependOnThreadCount() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let tokenized = try Self.figureRelations.map { TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer) }
        var one = RelationScorer(model: model)
        one.threads = 1
        var four = RelationScorer(model: model)
        four.threads = 4
        XCTAssertEqual(try one.score(tokenized).0, try four.score(tokenized).0)
    }

    func testKOverrideAndSkippedRelations() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let names = try BuiltinRelations.load("name_copying")
        let k5 = TokenizedRelation(names, tokenizer: tokenizer, k: 5)
        XCTAssertEqual(k5.k, 5)
        let tooFew = TokenizedRelation(names, tokenizer: tokenizer, minimumPairs: 1000)
        XCTAssertTrue(tooFew.skipped)
        XCTAssertTrue(tooFew.skipReason!.contains("180 of 180"))
        let (scores, _) = try RelationScorer(model: model).score([k5, tooFew])
        XCTAssertEqual(scores[1].hits, [])
        XCTAssertTrue(scores[1].skipped)
        let k1 = try RelationScorer(model: model).score([TokenizedRelation(names, tokenizer: tokenizer)]).0[0]
        for l in 0..<4 { for h in 0..<4 { XCTAssertGreaterThanOrEqual(scores[0].hits[l][h], k1.hits[l][h]) } }
    }

    func testGeluNewAndLayerNormMatchTheirDefinitions() {
        XCTAssertEqual(Activation.geluNew.apply(1), 0.841192, accuracy: 1e-6)
        XCTAssertEqual(Activation.geluNew.apply(-2), -0.04540231, accuracy: 1e-6)
        XCTAssertEqual(Activation.gelu.apply(1), 0.8413447, accuracy: 1e-6)
        let x = Matrix(rows: 1, cols: 3, storage: [1, 2, 3])
        let y = LayerNorm.apply(x, weight: [1, 1, 2], bias: [0, 1, 0], epsilon: 1e-5)
        XCTAssertEqual(y[0, 0], -1.2247357, accuracy: 1e-5)
        XCTAssertEqual(y[0, 1], 1, accuracy: 1e-6)
        XCTAssertEqual(y[0, 2], 2.4494715, accuracy: 1e-5)
    }

    func testScoresDocumentKeepsTheDocumentedLayoutAndRoundTrips() throws {
        let scores = try TestSupport.score(TestSupport.tinyModel, relations: ["name_copying", "english_to_french"])
        let skipped = RelationScores(name: "x", title: "X", k: 10, pairsTotal: 5, pairsKept: 2, skipReason: "only 2 of 5", hits: [], suppressionHits: [])
        let doc = ScoresDocument(source: "tiny", shape: ModelShape(layers: 4, heads: 4, dModel: 64, vocab: 5930), relations: scores + [skipped])
        let text = doc.encoded()
        XCTAssertTrue(text.hasPrefix("{\n  \"schema\": \"headmaps.scores.v1\",\n  \"model\": {\"source\": \"tiny\", \"layers\": 4, \"heads\": 4, \"d_model\": 64, \"vocab\": 5930},\n"))
        XCTAssertTrue(text.contains("\"name\": \"name_copying\",\n      \"title\": \"Name Copying\",\n      \"k\": 1,\n      \"k_rule\": \"standard\",\n      \"source_rule\": \"mlp0\",\n      \"pairs_total\": 180,\n      \"pairs_kept\": 180,\n      \"skipped\": false,\n      \"scores\": [\n        [0.0, 1.0, 0.0, 0.0],"))
        let path = TestSupport.temporaryDirectory("doc") + "/scores.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ScoresDocument.read(path: path), doc)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(text.utf8)))
    }
}
