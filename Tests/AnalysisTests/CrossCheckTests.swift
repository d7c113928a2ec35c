import Analysis
import Foundation
import HeadMapsTestSupport
import XCTest

/// HeadMaps against an independent implementation in another language
/// (`Tests/crosscheck/maps_numpy.py`: numpy, its own safetensors reader and
/// BPE, the paper's full-logits computation).
final class CrossCheckTests: XCTestCase {
    func testNumpyImplementationOfThePaperComputationAgrees() throws {
        let relations = ["name_copying", "country_to_capital", "word_to_antonym", "year_to_following"]
        let files = relations.map { "\(TestSupport.repositoryRoot)/Sources/Analysis/Relations/\($0).json" }
        var environment: [String: String] = [:]
        if let extra = ProcessInfo.processInfo.environment["HEADMAPS_PYTHONPATH"] {
            environment["PYTHONPATH"] = [extra, ProcessInfo.processInfo.environment["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        }
        let result = try TestSupport.run("/usr/bin/env", ["python3", "\(TestSupport.repositoryRoot)/Tests/crosscheck/maps_numpy.py", TestSupport.tinyModel] + files,
                                         environment: environment)
        XCTAssertEqual(result.status, 0, "maps_numpy.py failed (numpy and regex come from scripts/install-deps --tests): \(result.stderr)")
        guard result.status == 0 else { return }

        let numpy = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any])["relations"] as! [[String: Any]]
        let ours = try TestSupport.score(TestSupport.tinyModel, relations: relations)
        XCTAssertEqual(numpy.count, relations.count)
        for (theirs, mine) in zip(numpy, ours) {
            XCTAssertEqual(theirs["name"] as? String, mine.name)
            XCTAssertEqual(theirs["pairs_kept"] as? Int, mine.pairsKept, mine.name)
            XCTAssertEqual(theirs["k"] as? Int, mine.k, mine.name)
            XCTAssertEqual(theirs["scores"] as? [[Double]], mine.scores, mine.name)
            XCTAssertEqual(theirs["suppression"] as? [[Double]], mine.suppression, mine.name)
        }
    }
}
