import Analysis
import Checkpoint
import Core
import Experiments
import ForwardPass
import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

/// The experiments on a planted fixture made right for a run (`--runnable`):
/// planted copying heads copy when the model runs, and ablating them breaks a
/// task the model performs while random heads do not.
final class PlantedExperimentTests: XCTestCase {
    static let model: String = {
        let dir = TestSupport.temporaryDirectory("runnable")
        try! PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("tiny")!, seed: 7, runnable: true).write(to: dir)
        return dir
    }()

    func analysis(_ relations: [String]) throws -> ModelAnalysis {
        _ = TestSupport.singleThreadedBLAS
        return try ModelAnalysis(.init(modelPath: Self.model, relations: try relations.map(BuiltinRelations.load)))
    }

    func testRunnableFixtureKeepsEveryPlantedStaticScore() throws {
        let scores = try TestSupport.score(Self.model, relations: ["name_copying", "country_to_capital"])
        for head in try PlantedCheckpoint.plantedHeads(in: Self.model) {
            let r = try XCTUnwrap(scores.first { $0.name == head.relation })
            XCTAssertEqual(r.scores[head.layer][head.head], head.expectedScore, "\(head.role) \(head.layer).\(head.head)")
            XCTAssertEqual(r.suppression[head.layer][head.head], head.expectedSuppression)
        }
    }

    func testPlantedCopyingHeadsCopyWhenTheModelRuns() throws {
        let result = try analysis(["name_copying"])
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: Self.model)
        let dynamic = try DynamicScores.run(relation: result.tokenized[0], statics: result.document.relations[0], model: result.model,
                                            decoder: decoder, tokenizer: result.loaded.tokenizer)
        let copying = try PlantedCheckpoint.plantedHeads(in: Self.model).filter { $0.role == .copying }
        XCTAssertEqual(copying.count, 2)
        for template in dynamic.templates {
            XCTAssertEqual(template.dropped, 0)
            for head in copying {
                XCTAssertGreaterThanOrEqual(template.withoutContext.scores[head.layer][head.head], 0.99, "\(template.template), \(head.layer).\(head.head) without context")
                XCTAssertGreaterThanOrEqual(template.withContext.scores[head.layer][head.head], 0.99, "\(template.template), \(head.layer).\(head.head) with context")
            }
        }
        XCTAssertGreaterThan(try XCTUnwrap(dynamic.withoutContext.score.r), 0.9)
        XCTAssertLessThan(try XCTUnwrap(dynamic.withoutContext.score.p), 1e-10)
    }

    func testAblatingThePlantedHeadsBreaksTheTaskAndRandomHeadsDoNot() throws {
        let result = try analysis(["name_copying", "country_to_capital"])
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: Self.model)
        let ablation = try Ablation.run(relation: result.tokenized[0], statics: result.document.relations[0], decoder: decoder,
                                        tokenizer: result.loaded.tokenizer, template: "No <X> means no", maximumHeads: 10, randomDraws: 5, seed: 1,
                                        control: (result.tokenized[1], "The capital of <X> is"))
        XCTAssertEqual(ablation.top.heads, [HeadIndex(layer: 0, head: 1), HeadIndex(layer: 2, head: 2)], "the planted copying heads, and no other head scores")
        XCTAssertEqual(ablation.top.accuracy.first, 1, "the model performs the task")
        XCTAssertEqual(ablation.top.accuracy.last, 0, "and cannot without its copying heads")
        for curve in ablation.random { XCTAssertGreaterThanOrEqual(curve.accuracy.last!, 0.95, "random heads: \(curve.heads)") }
        let control = try XCTUnwrap(ablation.control)
        XCTAssertEqual(control.curve.accuracy.first, control.curve.accuracy.last, "the copying heads do not carry the capital task")
    }
}
