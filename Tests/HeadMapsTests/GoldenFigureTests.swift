import Analysis
import Checkpoint
import Foundation
import Plot
import Report
import XCTest

/// The default figure (the committed demo fixture's two figure relations,
/// marked as in the paper) against its committed golden image.
final class GoldenFigureTests: XCTestCase {
    static let golden = TestSupport.repositoryRoot + "/fixtures/golden/demo-figure.png"

    static func defaultFigure() throws -> HeatmapFigure {
        let scores = try TestSupport.score(TestSupport.demoModel, relations: ["name_copying", "country_to_capital"])
        let document = ScoresDocument(source: "demo", shape: try Architectures.shape(TestSupport.demoModel), relations: scores)
        let panels = try [("name_copying", "mover"), ("country_to_capital", "capital")].map { name, markers -> HeatmapPanel in
            var spec = PanelSpec(relation: name)
            spec.markers = try MarkerSet.load(file: TestSupport.repositoryRoot + "/reports/markers/gpt2-medium-\(markers)-heads.yaml")
            return try spec.panel(from: document, modelName: "GPT-2 medium")
        }
        return HeatmapFigure(panels: panels)
    }

    func testDefaultFigureMatchesItsGoldenImage() throws {
        let actual = try XCTUnwrap(RasterImage(pngData: try Self.defaultFigure().pngData()))
        if ProcessInfo.processInfo.environment["HEADMAPS_UPDATE_GOLDEN"] == "1" {
            try OutputFiles.write(actual.pngData(), to: Self.golden)
        }
        guard let data = FileManager.default.contents(atPath: Self.golden), let expected = RasterImage(pngData: data) else {
            return XCTFail("no golden image at \(Self.golden); run the tests with HEADMAPS_UPDATE_GOLDEN=1 once and look at it")
        }
        let comparison = ImageComparison(actual: actual, expected: expected)
        if !comparison.passes(tolerance: 2.0) { Artifacts.save(comparison, as: "golden-demo-figure") }
        XCTAssertTrue(comparison.passes(tolerance: 2.0), "RMS \(comparison.rms) over tolerance 2.0 (size mismatch: \(comparison.sizeMismatch)); see .build/test-artifacts/golden-demo-figure")
    }
}

extension Architectures {
    static func shape(_ path: String) throws -> ModelShape { try load(modelDirectory: path).1.shape }
}
