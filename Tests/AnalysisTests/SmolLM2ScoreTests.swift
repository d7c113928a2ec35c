import Analysis
import Checkpoint
import Foundation
import HeadMapsTestSupport
import XCTest

/// The static scores on a real trained model, SmolLM2-135M-Instruct in GGUF:
/// the pairs kept are those Hugging Face `tokenizers` keeps, every head's
/// score is what the numpy implementation of the paper's computation gives on
/// `gguf`'s dequantization, and the GGUF file scores as the Hugging Face
/// folder it dequantizes to.
final class SmolLM2ScoreTests: XCTestCase {
    func testKeptPairsAreThoseHuggingFaceTokenizersKeeps() throws {
        let loaded = try Architectures.open(modelDirectory: try TestSupport.smollm2())
        let script = """
        import json, sys
        from tokenizers import Tokenizer
        t = Tokenizer.from_file(sys.argv[1])
        out = {}
        for path in sys.argv[2:]:
            pairs = json.load(open(path))
            name = path.rsplit('/', 1)[1][:-5]
            one = lambda w: len(t.encode(' ' + w, add_special_tokens=False).ids) == 1
            out[name] = [[p['source'] if isinstance(p, dict) else p[0], p['target'] if isinstance(p, dict) else p[1]] for p in pairs]
            out[name] = [p for p in out[name] if one(p[0]) and one(p[1])]
        print(json.dumps(out))
        """
        let files = BuiltinRelations.names.map { "\(TestSupport.repositoryRoot)/Sources/Analysis/Relations/\($0).json" }
        let result = try TestSupport.python(["-c", script, TestSupport.smollm2Fixtures + "/tokenizer.json"] + files)
        XCTAssertEqual(result.status, 0, result.stderr)
        let theirs = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[String]]])
        var kept = 0
        for name in BuiltinRelations.names {
            let ours = TokenizedRelation(try BuiltinRelations.load(name), tokenizer: loaded.tokenizer, rows: loaded.weights.shape.vocab)
            XCTAssertEqual(ours.keptPairs.map { [$0.source, $0.target] }, theirs[name], name)
            kept += ours.pairsKept
        }
        XCTAssertGreaterThan(kept, 900)
    }

    /// `fixtures/smollm2/numpy_scores.json`: `Tests/crosscheck/maps_numpy.py`
    /// run once over the folder `gguf_to_safetensors.py` writes (numpy's full
    /// `[n, vocab]` logits for 270 heads and 20 relations take minutes).
    func testEveryHeadScoresAsNumpyOnTheGGUFPackagesDequantization() throws {
        let path = try TestSupport.smollm2()
        let numpy = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestSupport.smollm2Fixtures + "/numpy_scores.json"))) as! [String: Any]
        let byName = Dictionary(uniqueKeysWithValues: (numpy["relations"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        let ours = try TestSupport.score(path, relations: BuiltinRelations.names, minimumPairs: 1)
        var compared = 0
        for mine in ours {
            let theirs = try XCTUnwrap(byName[mine.name], mine.name)
            XCTAssertEqual(theirs["pairs_kept"] as? Int, mine.pairsKept, mine.name)
            XCTAssertEqual(theirs["k"] as? Int, mine.k, mine.name)
            guard mine.pairsKept > 0 else { continue }
            func counts(_ key: String) -> [[Int]]? {
                (theirs[key] as? [[Double]])?.map { $0.map { Int(($0 * Double(mine.pairsKept)).rounded()) } }
            }
            XCTAssertEqual(counts("scores"), mine.hits, mine.name)
            XCTAssertEqual(counts("suppression"), mine.suppressionHits, mine.name)
            compared += 1
        }
        XCTAssertEqual(compared, 19, "every relation with a kept pair")
    }

    func testTheGGUFFileScoresAsTheFolderItDequantizesTo() throws {
        let path = try TestSupport.smollm2()
        let folder = TestSupport.temporaryDirectory("smollm2-hf") + "/model"
        let written = try TestSupport.python([TestSupport.repositoryRoot + "/Tests/crosscheck/gguf_to_safetensors.py", path,
                                              TestSupport.smollm2Fixtures + "/tokenizer.json", folder])
        XCTAssertEqual(written.status, 0, written.stderr)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let relations = ["name_copying", "country_to_capital", "noun_to_pronoun", "word_to_antonym"]
        let fromGGUF = try TestSupport.score(path, relations: relations)
        let fromFolder = try TestSupport.score(folder, relations: relations)
        for (a, b) in zip(fromGGUF, fromFolder) {
            XCTAssertEqual(a.pairsKept, b.pairsKept, a.name)
            XCTAssertEqual(a.hits, b.hits, a.name)
            XCTAssertEqual(a.suppressionHits, b.suppressionHits, a.name)
        }
        // A real model's heads: the best name-copying head copies most names.
        XCTAssertGreaterThan(fromGGUF[0].hits.joined().max() ?? 0, fromGGUF[0].pairsKept / 2)
    }
}
