import Core
import Foundation
import HeadMapsTestSupport
import Plot
import Report
import XCTest

/// Statistics that do not mislead: ties, maps with few heads above zero,
/// control classes, and sentences that count correctly.
final class StatisticsWordingTests: XCTestCase {
    func grid(_ layers: Int, _ heads: Int, _ set: [(Int, Int, Double)] = []) -> [[Double]] {
        var g = [[Double]](repeating: [Double](repeating: 0, count: heads), count: layers)
        for (l, h, v) in set { g[l][h] = v }
        return g
    }

    func testZeroScoreTiesNeitherFillTheTopNNorHideInARank() {
        // Two heads above zero, five marked: the top-N holds two, not three heads at zero.
        let values = grid(4, 4, [(0, 0, 0.9), (1, 1, 0.4)])
        let marked: Set<HeadIndex> = [HeadIndex(layer: 0, head: 0), HeadIndex(layer: 3, head: 3), HeadIndex(layer: 2, head: 2),
                                      HeadIndex(layer: 2, head: 3), HeadIndex(layer: 3, head: 2)]
        let s = OverlapStatistics(values: values, marked: marked)
        XCTAssertEqual(s.topN, [HeadIndex(layer: 0, head: 0), HeadIndex(layer: 1, head: 1)])
        XCTAssertEqual(s.overlapAtN, 1)
        let zero = s.marked.first { $0.head == HeadIndex(layer: 3, head: 3) }!
        XCTAssertEqual(zero.rankText(of: 16), "3–16 of 16 (tied)")
        XCTAssertEqual(s.marked.first { $0.head == HeadIndex(layer: 0, head: 0) }!.rankText(of: 16), "1 of 16")
        let section = OverlapSection(label: "R", values: values, markers: MarkerSet(title: nil, citation: "X", approximate: false,
            classes: [MarkerClass(label: "A", style: .cross, heads: Array(marked))], source: "m.yaml"))
        XCTAssertEqual(section.note, "Only 2 heads of this map score above zero, so its top-N holds 2, not 5: heads at zero do not fill it.")
    }

    func testMapsWithTooFewHeadsAboveZeroAreNotCompared() {
        let sparse = grid(4, 4, [(0, 0, 1)]), dense = grid(4, 4, (0..<4).flatMap { l in (0..<4).map { (l, $0, 0.1 * Double($0 + 1)) } })
        XCTAssertEqual(Observations.tooFewToCompare(("A", sparse), ("B", dense), n: 5),
                       "The A and B maps are not compared: A has only 1 head above zero, fewer than the top 5 that would be compared.")
        XCTAssertNil(Observations.tooFewToCompare(("B", dense), ("B2", dense), n: 5))
    }

    /// A control class is drawn and listed but not counted; several positive
    /// classes get statistics each; sentences name the marker set's citation.
    func testControlClassesAndPerClassStatistics() throws {
        let dir = TestSupport.temporaryDirectory("classes")
        try """
        citation: "Wang et al. 2023"
        classes:
          - label: Name movers
            marker: x
            heads: [0.0, 1.1]
          - label: Backup
            marker: o
            heads: [2.2]
          - label: Tested, not movers
            marker: o
            control: true
            heads: [3.3]
        """.write(toFile: dir + "/m.yaml", atomically: true, encoding: .utf8)
        let markers = try MarkerSet.load(file: dir + "/m.yaml")
        XCTAssertEqual(markers.positiveHeads, [HeadIndex(layer: 0, head: 0), HeadIndex(layer: 1, head: 1), HeadIndex(layer: 2, head: 2)])
        let values = grid(4, 4, [(0, 0, 0.9), (1, 1, 0.8), (3, 3, 0.7), (2, 1, 0.6)])
        let section = OverlapSection(label: "R", values: values, markers: markers)
        XCTAssertEqual(section.marked.map(\.class), ["Name movers", "Name movers", "Backup", "Tested, not movers (control)"])
        XCTAssertEqual(section.classes.map(\.label), ["Name movers", "Backup"])
        XCTAssertEqual(section.classes.map(\.above), [2, 0])
        let sentences = Observations.panel(title: "R", values: values, markers: markers)
        XCTAssertTrue(sentences.contains("Of the 3 marked heads (Name movers / Backup), 2 score at least 0.5: 0.0 (0.90), 1.1 (0.80); the other one scores low: 2.2 (0.00)."), "\(sentences)")
        XCTAssertTrue(sentences.contains("Control heads (Tested, not movers), not counted as marked: 3.3 (0.70)."), "\(sentences)")
        XCTAssertTrue(sentences.contains("High-scoring heads that are not marked — candidates Wang et al. 2023 did not name: 3.3 (0.70), 2.1 (0.60)."), "\(sentences)")
    }

    func testSentencesCountInTheSingular() {
        XCTAssertEqual(Plural.count(1, "head"), "1 head")
        XCTAssertEqual(Plural.count(2, "layer"), "2 layers")
        let one = grid(1, 1, [(0, 0, 0.7)])
        let markers = MarkerSet(title: nil, citation: "", approximate: false,
                                classes: [MarkerClass(label: "M", style: .cross, heads: [HeadIndex(layer: 0, head: 0)])], source: "m.yaml")
        let sentences = Observations.panel(title: "T", values: one, markers: markers)
        XCTAssertEqual(sentences[0], "T: 1 of 1 head scores at least 0.5 and 0 at least 0.8; it sits in layer 0. The best is head 0.0 (0.70).")
        XCTAssertEqual(sentences[1], "The one marked head (M) scores at least 0.5: 0.0 (0.70).")
    }
}
