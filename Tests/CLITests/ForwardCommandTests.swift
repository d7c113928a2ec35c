import Foundation
import HeadMapsTestSupport
import PlantedModels
import XCTest

final class ForwardCommandTests: XCTestCase {
    func testForwardPrintsTheNextTokensAndWritesTheirJSON() throws {
        let model = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"
        let json = TestSupport.temporaryDirectory("forward") + "/next.json"
        let result = try HeadMapsExecutable.run(["forward", "--model", model, "--prompt", " Paris is the capital of France", "--top", "3", "--json", json])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("prompt: 10 tokens [704, 2104, 334, 69, 2191, 304, 276, 221, 382, 705]"), result.stdout)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        XCTAssertEqual(object["schema"] as? String, "headmaps.forward.v1")
        XCTAssertEqual(object["token_ids"] as? [Int], [704, 2104, 334, 69, 2191, 304, 276, 221, 382, 705], "the ids Hugging Face tokenizers gives")
        let top = object["top"] as! [[String: Any]]
        XCTAssertEqual(top.count, 3)
        let logits = top.map { $0["logit"] as! Double }
        XCTAssertEqual(logits, logits.sorted(by: >))
    }

    /// A tokenizer.json whose post-processor puts a token before every text
    /// (as Llama 3's and Gemma's do) gets it in front of the prompt.
    func testThePromptStartsWithThePostProcessorsSpecialToken() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/llama"
        let dir = TestSupport.temporaryDirectory("bos")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name != "tokenizer.json" {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/" + name)
        }
        var tokenizer = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/tokenizer.json"))) as! [String: Any]
        tokenizer["post_processor"] = ["type": "TemplateProcessing",
                                       "single": [["SpecialToken": ["id": "<|endoftext|>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                                       "pair": [], "special_tokens": ["<|endoftext|>": ["id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]]]]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        let plain = TestSupport.temporaryDirectory("bos-out") + "/plain.json", started = TestSupport.temporaryDirectory("bos-out") + "/start.json"
        for (model, out) in [(source, plain), (dir, started)] {
            let result = try HeadMapsExecutable.run(["forward", "--model", model, "--prompt", "The capital of France is", "--json", out])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        let ids = { (file: String) throws -> [Int] in
            (try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any])["token_ids"] as! [Int]
        }
        XCTAssertEqual(try ids(started), [0] + (try ids(plain)))
    }

    /// Every family runs from the command line and writes its top 10.
    func testForwardRunsEveryFamily() throws {
        for family in TestSupport.transformersFamilies {
            let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/" + family
            let out = TestSupport.temporaryDirectory("forward-\(family)") + "/next.json"
            let result = try HeadMapsExecutable.run(["forward", "--model", dir, "--prompt", "The capital of France is", "--json", out])
            XCTAssertEqual(result.status, 0, "\(family): \(result.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
            XCTAssertEqual(json["schema"] as? String, "headmaps.forward.v1", family)
            XCTAssertEqual((json["top"] as? [[String: Any]])?.count, 10, family)
        }
    }
}

final class DynamicCommandTests: XCTestCase {
    func testDynamicWritesScoresAndCorrelationsPerRelationAndTemplate() throws {
        let dir = TestSupport.temporaryDirectory("dynamic")
        try #"["The story of <X> contains", "No <X> means no"]"#.write(toFile: dir + "/templates.json", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["dynamic", "--model", TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2",
                                                 "--relation", "name_copying", "--relation", "country_to_capital", "--min-pairs", "5",
                                                 "--templates", dir + "/templates.json", "--out", dir + "/dynamic.json", "--figure", dir + "/dynamic.png"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("country_to_capital: with context r = ") && result.stderr.contains("name_copying: with context r"), result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/dynamic.json"))) as! [String: Any]
        XCTAssertEqual(object["schema"] as? String, "headmaps.dynamic.v1")
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/dynamic.png")?.prefix(4), Data([0x89, 0x50, 0x4E, 0x47]), "the figure, as a PNG")
        let relations = object["relations"] as! [[String: Any]]
        XCTAssertEqual(relations.map { $0["name"] as! String }, ["name_copying", "country_to_capital"])
        let templates = relations[0]["templates"] as! [[String: Any]]
        XCTAssertEqual(templates.map { $0["template"] as! String }, ["The story of <X> contains", "No <X> means no"])
        let scores = (templates[0]["without_context"] as! [String: Any])["scores"] as! [[Double]]
        XCTAssertEqual(scores.count, 2, "layers")
        XCTAssertEqual(scores[0].count, 4, "heads")
        let correlations = relations[0]["correlations"] as! [String: [String: [String: Any]]]
        XCTAssertEqual(correlations["with_context"]?["score"]?["n"] as? Int, 2 * 2 * 4, "heads × templates")
    }

    func testATemplateWithoutItsSlotIsAnError() throws {
        let dir = TestSupport.temporaryDirectory("dynamic-bad")
        try #"["The story of contains"]"#.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["dynamic", "--model", TestSupport.tinyModel, "--templates", dir + "/t.json", "--out", dir + "/d.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("t.json: template 'The story of contains' must hold <X> exactly once"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/d.json"))
    }
}

final class MultiTokenCommandTests: XCTestCase {
    func testMultiTokenWritesScoresAndCorrelationsAndSaysWhatItSkips() throws {
        let dir = TestSupport.temporaryDirectory("multitoken")
        // Country → capital, and the same countries after "New" (several tokens in this vocabulary).
        let pairs = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/Sources/Analysis/Relations/country_to_capital.json"))) as! [[String]]
        let file = dir + "/capitals.json"
        try JSONSerialization.data(withJSONObject: pairs + pairs.map { ["New " + $0[0], $0[1]] }).write(to: URL(fileURLWithPath: file))
        let result = try HeadMapsExecutable.run(["multitoken", "--model", TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2",
                                                 "--relation", "name_copying", "--relation-file", file, "--k", "100",
                                                 "--out", dir + "/multitoken.json", "--figure", dir + "/multitoken.svg"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("name_copying: skipped (only 0 of 180 pairs have a source of several tokens and a target of one for this vocabulary (at least 30 needed))"), result.stderr)
        XCTAssertTrue(result.stderr.contains("capitals: with context r = "), result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/multitoken.json"))) as! [String: Any]
        XCTAssertEqual(object["schema"] as? String, "headmaps.multitoken.v1")
        XCTAssertEqual(object["template"] as? String, "This is a document about <X>")
        let relations = object["relations"] as! [[String: Any]]
        XCTAssertEqual(relations.map { $0["name"] as! String }, ["name_copying", "capitals"])
        XCTAssertEqual(relations[0]["skipped"] as? Bool, true)
        XCTAssertEqual(relations[1]["skipped"] as? Bool, false)
        XCTAssertEqual(relations[1]["pairs_total"] as? Int, 2 * pairs.count)
        let kept = relations[1]["pairs_multitoken"] as! Int
        XCTAssertGreaterThanOrEqual(kept, 30)
        XCTAssertEqual(relations[1]["prompts"] as? Int, kept)
        let scores = (relations[1]["with_context"] as! [String: Any])["scores"] as! [[Double]]
        XCTAssertEqual([scores.count, scores[0].count], [2, 4], "layers × heads")
        let correlations = relations[1]["correlations"] as! [String: [String: [String: Any]]]
        XCTAssertEqual(correlations["without_context"]?["score"]?["n"] as? Int, 2 * 4, "every head")
        let svg = try String(contentsOfFile: dir + "/multitoken.svg", encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"), "the figure, as SVG")
    }

    func testATemplateWithoutItsSlotIsRefused() throws {
        let dir = TestSupport.temporaryDirectory("multitoken-bad")
        let result = try HeadMapsExecutable.run(["multitoken", "--model", TestSupport.tinyModel, "--template", "About it",
                                                 "--out", dir + "/m.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("--template: template 'About it' must hold <X> exactly once"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.json"))
    }
}

final class AblateCommandTests: XCTestCase {
    func testAblateWritesTheCurvesAndTheirSummary() throws {
        let dir = TestSupport.temporaryDirectory("ablate")
        let result = try HeadMapsExecutable.run(["ablate", "--model", TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2", "--relation", "name_copying",
                                                 "--k", "300", "--heads", "4", "--random-draws", "2", "--control", "country_to_capital",
                                                 "--min-pairs", "5", "--out", dir + "/ablation.json", "--figure", dir + "/ablation.pdf"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(try Tools.run("pdftotext", [dir + "/ablation.pdf", "-"]).contains("heads ablated"), "the figure, as a PDF")
        XCTAssertTrue(result.stderr.contains("name_copying: accuracy ") && result.stderr.contains("on country_to_capital's task"), result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ablation.json"))) as! [String: Any]
        XCTAssertEqual(object["schema"] as? String, "headmaps.ablation.v1")
        XCTAssertEqual(object["template"] as? String, " John-> John; Donna-> Donna; <X>->", "the paper's template")
        let top = object["top_heads"] as! [String: Any]
        XCTAssertEqual((top["heads"] as! [String]).count, 4)
        XCTAssertEqual((top["accuracy"] as! [Double]).count, 5)
        XCTAssertEqual((object["random_heads"] as! [Any]).count, 2)
        XCTAssertEqual((object["control"] as! [String: Any])["relation"] as? String, "country_to_capital")
    }

    func testARelationWithoutAPaperTemplateNeedsOne() throws {
        let result = try HeadMapsExecutable.run(["ablate", "--model", TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2", "--relation", "word_to_antonym",
                                                 "--min-pairs", "5", "--out", TestSupport.temporaryDirectory("ablate-bad") + "/a.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("no paper template for 'word_to_antonym': give one with --template"), result.stderr)
    }
}
