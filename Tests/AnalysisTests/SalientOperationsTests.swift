import Analysis
import Checkpoint
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import PlantedModels
import Tokenizer
import XCTest

/// Salient operations on the planted fixture: the planted heads do what they
/// were built to do, and the ordering matches a plain computation exactly.
final class SalientOperationsTests: XCTestCase {
    func testPlantedCopyingAndCapitalHeadsShowTheirOperations() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let sources = try VocabularySources(model: model)
        // The tiny fixture's planted.json: copying at 0.1, capital at 2.1.
        let copying = try SalientOperations(model: model, layer: 0, head: 1, sources: sources)
        XCTAssertEqual(copying.operations.count, SalientOperations.defaultCount)
        for op in copying.operations.prefix(5) {
            XCTAssertEqual(op.mappings.first?.tokenID, op.tokenID, "a copying head maps \(tokenizer.decode([op.tokenID])) to itself")
        }
        let capitals = TokenizedRelation(try BuiltinRelations.load("country_to_capital"), tokenizer: tokenizer)
        let capitalOf = Dictionary(zip(capitals.sourceIds, capitals.targetIds), uniquingKeysWith: { a, _ in a })
        let capital = try SalientOperations(model: model, layer: 2, head: 1, sources: sources, count: 5, mappings: 3)
        for op in capital.operations {
            let expected = try XCTUnwrap(capitalOf[op.tokenID], "salient token \(tokenizer.decode([op.tokenID])) is a country")
            XCTAssertEqual(op.mappings.first?.tokenID, expected, "\(tokenizer.decode([op.tokenID])) → \(tokenizer.decode([expected]))")
        }
    }

    /// Amplification by plain loops and a full sort, against the fast path.
    func testAmplificationOrderMatchesAPlainComputation() throws {
        let (model, _) = try TestSupport.loadModel(TestSupport.tinyModel)
        let sources = try VocabularySources(model: model)
        let layer = 1, head = 3
        let fast = try SalientOperations(model: model, layer: layer, head: head, sources: sources, count: 20, mappings: 1)
        let ov = try model.heads(ofLayer: layer)[head]
        let x = sources.forLayer(layer)
        let d = x.cols, dh = ov.valueWeights.cols
        var plain: [(Int, Double)] = []
        for s in 0..<x.rows {
            var y = [Double](repeating: 0, count: dh), z = [Double](repeating: 0, count: d)
            for j in 0..<dh { for i in 0..<d { y[j] += Double(x[s, i]) * Double(ov.valueWeights[i, j]) } }
            for k in 0..<d { for j in 0..<dh { z[k] += y[j] * Double(ov.outputWeights[j, k]) } }
            let xin = (0..<d).reduce(0.0) { $0 + Double(x[s, $1]) * Double(x[s, $1]) }
            plain.append((s, xin > 0 ? (z.reduce(0) { $0 + $1 * $1 } / xin).squareRoot() : 0))
        }
        plain.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        // Same order wherever neighbours differ by more than float rounding could blur.
        func separated(_ i: Int) -> Bool {
            let gap = 1e-4 * max(1, plain[i].1)
            return (i == 0 || plain[i - 1].1 - plain[i].1 > gap) && plain[i].1 - plain[i + 1].1 > gap
        }
        XCTAssertGreaterThan((0..<20).filter(separated).count, 10, "enough distinct amplifications to test the order")
        for i in 0..<20 where separated(i) { XCTAssertEqual(fast.operations[i].tokenID, plain[i].0, "rank \(i)") }
        for (op, p) in zip(fast.operations, plain) { XCTAssertEqual(Double(op.amplification), p.1, accuracy: 1e-4 * max(1, p.1)) }
    }

    /// The demo fixture maps many names alike (planted logits such as 3.25):
    /// tied mappings come in token-id order, not in the order float32
    /// rounding happens to give, and every value is a float32 computed in double.
    func testTiedMappingsAreOrderedByTokenID() throws {
        _ = TestSupport.singleThreadedBLAS
        let (model, _) = try TestSupport.loadModel(TestSupport.demoModel)
        let sources = try VocabularySources(model: model, layers: [0])
        var ties = 0
        for operations in try SalientOperations.layer(model: model, layer: 0, sources: sources, count: 10, mappings: 8) {
            for op in operations.operations {
                for (a, b) in zip(op.mappings, op.mappings.dropFirst()) {
                    XCTAssertGreaterThanOrEqual(a.logit, b.logit)
                    if a.logit == b.logit { ties += 1; XCTAssertLessThan(a.tokenID, b.tokenID, "\(operations.layer).\(operations.head)") }
                }
            }
            for (a, b) in zip(operations.operations, operations.operations.dropFirst()) where a.amplification == b.amplification {
                XCTAssertLessThan(a.tokenID, b.tokenID)
            }
        }
        XCTAssertGreaterThan(ties, 50, "the fixture has ties to order")
    }

    /// Rows past the tokenizer's ids (a checkpoint's padding: the Llama
    /// checkpoint written by transformers has 6000 rows for 3547 tokens) are neither sources nor mappings,
    /// on one head and on a whole layer.
    func testPaddingRowsAreNeitherSourcesNorMappings() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.transformersModels.first { $0.hasSuffix("/llama") }!
        let model = try Architectures.load(modelDirectory: dir).1
        let tokens = try TokenizerFiles.load(directory: dir).count
        XCTAssertEqual(tokens, 3547)
        XCTAssertEqual(model.shape.vocab, 6000)
        let sources = try VocabularySources(model: model, rule: .embedding)
        let everyRow = try SalientOperations(model: model, layer: 1, head: 0, sources: sources, count: 50, mappings: 10)
        XCTAssertTrue(everyRow.operations.contains { $0.tokenID >= tokens }, "unrestricted, padding rows rank among the sources")
        let one = try SalientOperations(model: model, layer: 1, head: 0, sources: sources, count: 50, mappings: 10, tokens: tokens)
        let layer = try SalientOperations.layer(model: model, layer: 1, sources: sources, count: 50, mappings: 10, tokens: tokens)
        for operations in [one] + layer {
            XCTAssertEqual(operations.operations.count, 50)
            for op in operations.operations {
                XCTAssertLessThan(op.tokenID, tokens)
                XCTAssertEqual(op.mappings.count, 10)
                for m in op.mappings { XCTAssertLessThan(m.tokenID, tokens) }
            }
        }
        XCTAssertEqual(one.operations.map(\.tokenID), layer[0].operations.map(\.tokenID))
        let tokensAmongEveryRow = everyRow.operations.map(\.tokenID).filter { $0 < tokens }
        XCTAssertEqual(Array(one.operations.map(\.tokenID).prefix(tokensAmongEveryRow.count)), tokensAmongEveryRow, "the same order among the tokens")
    }

    /// A whole layer at once (one product for every KV head) gives each head's
    /// operations as computing it alone does, under grouped-query attention too.
    func testALayerAtOnceMatchesEachHeadAlone() throws {
        _ = TestSupport.singleThreadedBLAS
        for dir in [TestSupport.tinyModel, TestSupport.familyModel(.llama)] {
            let model = try Architectures.load(modelDirectory: dir).1
            let sources = try VocabularySources(model: model, layers: [2])
            let layer = try SalientOperations.layer(model: model, layer: 2, sources: sources, count: 8, mappings: 3)
            XCTAssertEqual(layer.count, model.shape.heads)
            for (h, batched) in layer.enumerated() {
                let alone = try SalientOperations(model: model, layer: 2, head: h, sources: sources, count: 8, mappings: 3)
                XCTAssertEqual(batched.operations.map(\.tokenID), alone.operations.map(\.tokenID), "\(dir) head \(h)")
                for (a, b) in zip(batched.operations, alone.operations) {
                    XCTAssertEqual(a.amplification, b.amplification, accuracy: 1e-5 * max(1, b.amplification))
                    XCTAssertEqual(a.mappings.map(\.tokenID), b.mappings.map(\.tokenID))
                }
            }
        }
    }

    /// Every head's operations, a layer at a time, are the sources with the
    /// largest amplification computed plainly in double (`‖x·W_V·W_O‖ / ‖x‖`,
    /// every token): on the tiny fixture, where each head has its own `W_V`
    /// (the screen's map is `W_V·L`) and planted heads have rank-deficient
    /// `W_O`, and on the Llama fixture, where query heads share a KV head
    /// (the screen multiplies each KV head's `x·W_V` by each head's `L`).
    func testEveryHeadsOperationsAreItsLargestAmplificationsComputedPlainly() throws {
        _ = TestSupport.singleThreadedBLAS
        for dir in [TestSupport.tinyModel, TestSupport.familyModel(.llama)] {
            let model = try Architectures.load(modelDirectory: dir).1
            let sources = try VocabularySources(model: model, layers: [1])
            let x = sources.forLayer(1)
            let d = x.cols
            let heads = try model.heads(ofLayer: 1)
            XCTAssertEqual(Set(heads.map(\.valueGroup)).count == heads.count, dir == TestSupport.tinyModel, dir)
            var rankDeficient = 0
            for (h, computed) in try SalientOperations.layer(model: model, layer: 1, sources: sources, count: 8, mappings: 1)
                .enumerated()
            {
                let ov = heads[h]
                let dh = ov.valueWeights.cols
                var wvo = [Double](repeating: 0, count: d * d)
                for i in 0..<d {
                    for j in 0..<dh {
                        for k in 0..<d { wvo[i * d + k] += Double(ov.valueWeights[i, j]) * Double(ov.outputWeights[j, k]) }
                    }
                }
                let rowsOfWO = (0..<dh).filter { j in (0..<d).contains { ov.outputWeights[j, $0] != 0 } }.count
                if rowsOfWO < dh { rankDeficient += 1 }
                var plain: [(Int, Double)] = []
                for s in 0..<x.rows {
                    var norm = 0.0
                    var out = [Double](repeating: 0, count: d)
                    for i in 0..<d {
                        let v = Double(x[s, i])
                        norm += v * v
                        for k in 0..<d { out[k] += v * wvo[i * d + k] }
                    }
                    let outNorm = out.reduce(0) { $0 + $1 * $1 }
                    plain.append((s, norm > 0 ? (outNorm / norm).squareRoot() : 0))
                }
                plain.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                XCTAssertEqual(computed.operations.count, 8)
                for (i, op) in computed.operations.enumerated() {
                    XCTAssertEqual(Double(op.amplification), plain[i].1, accuracy: 1e-4 * max(1, plain[i].1), "\(dir) head \(h) rank \(i)")
                    let value: Double = try XCTUnwrap(plain.first { $0.0 == op.tokenID }).1
                    XCTAssertEqual(value, plain[i].1, accuracy: 1e-4 * max(1, plain[i].1), "head \(h): token \(op.tokenID) is among the largest")
                }
            }
            if dir == TestSupport.tinyModel { XCTAssertGreaterThan(rankDeficient, 0, "planted heads have W_O of lower rank") }
        }
    }
}
