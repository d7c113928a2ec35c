import Analysis
import Foundation
import HeadMapsTestSupport
import XCTest

final class RelationDatasetTests: XCTestCase {
    func testAllTwentyBuiltinRelationsLoadWithAtLeastFortyPairs() throws {
        let relations = try BuiltinRelations.loadAll()
        XCTAssertEqual(relations.count, 20)
        for r in relations {
            XCTAssertGreaterThanOrEqual(r.pairs.count, 40, r.name)
            XCTAssertEqual(Set(r.pairs.map { "\($0.source)→\($0.target)" }).count, r.pairs.count, "\(r.name) has duplicate pairs")
        }
    }

    func testCopyingRelationsUseKOneAndTheOthersKTen() throws {
        let ks = Dictionary(uniqueKeysWithValues: try BuiltinRelations.loadAll().map { ($0.name, $0.defaultK) })
        XCTAssertEqual(ks["copying"], 1)
        XCTAssertEqual(ks["name_copying"], 1)
        XCTAssertEqual(ks.values.filter { $0 == 10 }.count, 18)
    }

    /// The pairs each relation keeps under the real GPT-2 vocabulary; printed so
    /// the numbers are visible in the test log.
    func testKeptPairsUnderTheGPT2Vocabulary() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        var kept: [String: TokenizedRelation] = [:]
        for r in try BuiltinRelations.loadAll() {
            let t = TokenizedRelation(r, tokenizer: bpe)
            kept[r.name] = t
            print("GPT-2 vocabulary: \(r.name) keeps \(t.pairsKept) of \(t.pairsTotal)\(t.skipped ? " (skipped)" : "")")
        }
        XCTAssertGreaterThanOrEqual(kept["name_copying"]!.pairsKept, 100)
        XCTAssertGreaterThanOrEqual(kept["country_to_capital"]!.pairsKept, 40)
        XCTAssertTrue(kept["english_to_french"]!.skipped)
        XCTAssertTrue(kept["english_to_spanish"]!.skipped)
        XCTAssertEqual(kept.values.filter { !$0.skipped }.count, 18)
        XCTAssertEqual(kept["country_to_capital"]!.sourceIds.first, 4881, "' France' is GPT-2 token 4881")
        XCTAssertEqual(kept["country_to_capital"]!.targetIds.first, 6342, "' Paris' is GPT-2 token 6342")
    }

    func testReadsMAPSFormatFileNamedAfterItsStem() throws {
        let path = TestSupport.temporaryDirectory("maps") + "/city_to_river.json"
        try Data(#"[["Paris", "Seine"], ["London", "Thames"]]"#.utf8).write(to: URL(fileURLWithPath: path))
        let r = try Relation.load(file: path)
        XCTAssertEqual(r.name, "city_to_river")
        XCTAssertEqual(r.pairs, [.init("Paris", "Seine"), .init("London", "Thames")])
        XCTAssertEqual(r.defaultK, 10)
    }

    func testRejectsRelationFilesThatAreNotPairsOfStrings() throws {
        let dir = TestSupport.temporaryDirectory("bad")
        for (name, text, expected) in [
            ("object", #"{"a": "b"}"#, "found an object"),
            ("triple", #"[["a", "b", "c"]]"#, "item 0 is not a pair of two strings"),
            ("number", #"[["a", 3]]"#, "item 0 is not a pair"),
            ("empty", #"[["a", ""]]"#, "empty string"),
            ("none", "[]", "no pairs"),
            ("broken", "[[", "not valid JSON"),
        ] {
            let path = "\(dir)/\(name).json"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Relation.load(file: path), name) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(path), "\(name): the message names the file")
            }
        }
    }

    func testUnknownBuiltinNameListsTheKnownOnes() {
        XCTAssertThrowsError(try BuiltinRelations.load("capital_of_mars")) { error in
            XCTAssertTrue("\(error)".contains("unknown relation 'capital_of_mars'"))
            XCTAssertTrue("\(error)".contains("country_to_capital"))
        }
    }
}
