import Analysis
import Checkpoint
import Core
import Experiments
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import XCTest

/// The multi-token experiment: pairs whose source is several tokens, a
/// head's output at the source's last token, against numpy on the GPT-2
/// checkpoint transformers wrote, and on the real SmolLM2.
final class MultiTokenTests: XCTestCase {
    /// Country → capital with its single-token pairs (the static map) and the
    /// same countries after "New", "Old North" or "Republic of" (two, four or
    /// six more tokens in this vocabulary), capitals unchanged.
    static let prefixes = ["New ", "Old North ", "Republic of "]

    static func capitals() throws -> Relation {
        let base = try BuiltinRelations.load("country_to_capital")
        let extended = base.pairs.enumerated().map { i, pair in
            Relation.Pair(prefixes[i % prefixes.count] + pair.source, pair.target)
        }
        return Relation(
            name: "capitals", title: "Capitals", category: "factual", pairs: base.pairs + extended, origin: "test")
    }

    func testMultiTokenCountsAgreeWithNumpyAtTheSourcesLastToken() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"
        let loaded = try Architectures.open(modelDirectory: dir)
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: dir)
        let tokenizer = loaded.tokenizer
        let relation = try Self.capitals()
        let tokenized = TokenizedRelation(relation, tokenizer: tokenizer, k: 100, minimumPairs: 1)
        let statics = try RelationScorer(model: loaded.weights).score([tokenized]).0[0]
        let result = try MultiTokenScores.run(
            relation: relation, k: 100, statics: statics, model: loaded.weights, decoder: decoder,
            tokenizer: tokenizer, minimumPairs: 30, batchSize: 16)
        let scores = try XCTUnwrap(result.scores, result.skipReason ?? "")
        // The multi-token pairs: the "New …" ones whose capital is one token; the single-token ones are not among them.
        let expected = relation.pairs.filter {
            pair in Self.prefixes.contains { pair.source.hasPrefix($0) } && tokenizer.wordToken(pair.target) != nil
                && tokenizer.encode(" " + pair.source).count > 1
        }
        XCTAssertEqual(result.pairsMultiToken, expected.count)
        XCTAssertGreaterThanOrEqual(expected.count, 30)
        let t = scores.templates[0]
        XCTAssertEqual(t.template, "This is a document about <X>")
        XCTAssertEqual(t.dropped, 0)
        XCTAssertEqual(t.withContext.prompts, expected.count)

        // numpy, one call per prompt length: the template ends with the source, so its last token is the last position.
        var prompts: [Int: [(ids: [Int], target: Int)]] = [:]
        for pair in expected {
            let ids = tokenizer.encode("This is a document about " + pair.source)
            prompts[ids.count, default: []].append((ids, tokenizer.wordToken(pair.target)!))
        }
        XCTAssertEqual(prompts.count, 3, "prompts of three lengths")
        let shape = loaded.weights.shape
        var with = [[Int]](repeating: [Int](repeating: 0, count: shape.heads), count: shape.layers)
        var without = with
        for (length, group) in prompts {
            let task: [String: Any] = [
                "prompts": group.map(\.ids), "source_position": length - 1, "targets": group.map(\.target),
            ]
            let input = String(decoding: try JSONSerialization.data(withJSONObject: task), as: UTF8.self)
            let numpy = try TestSupport.python(
                [TestSupport.repositoryRoot + "/Tests/crosscheck/gpt2_forward_numpy.py", "--dynamic", "100", dir],
                stdin: input)
            XCTAssertEqual(numpy.status, 0, numpy.stderr)
            let theirs = try JSONSerialization.jsonObject(with: Data(numpy.stdout.utf8)) as! [String: [[Int]]]
            for l in 0..<shape.layers {
                for h in 0..<shape.heads {
                    with[l][h] += theirs["with_context"]![l][h]
                    without[l][h] += theirs["without_context"]![l][h]
                }
            }
        }
        XCTAssertEqual(t.withContext.hits, with)
        XCTAssertEqual(t.withoutContext.hits, without)
        XCTAssertGreaterThan(with.joined().reduce(0, +), 0, "something to agree on")
        // The correlation is over every head, against the static scores.
        XCTAssertEqual(scores.withContext.score.n, shape.layers * shape.heads)
        let r = Correlation.pearson(Array(statics.scores.joined()), Array(t.withContext.scores.joined()))
        XCTAssertEqual(scores.withContext.score.r, r.r)
    }

    /// Too few multi-token pairs, or no static map: skipped with the reason, as the static scores skip.
    func testARelationWithTooFewMultiTokenPairsIsSkippedWithItsCount() throws {
        _ = TestSupport.singleThreadedBLAS
        let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"
        let loaded = try Architectures.open(modelDirectory: dir)
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: dir)
        let relation = try BuiltinRelations.load("country_to_capital")
        let tokenized = TokenizedRelation(relation, tokenizer: loaded.tokenizer, minimumPairs: 1)
        let statics = try RelationScorer(model: loaded.weights).score([tokenized]).0[0]
        let result = try MultiTokenScores.run(
            relation: relation, k: tokenized.k, statics: statics, model: loaded.weights, decoder: decoder,
            tokenizer: loaded.tokenizer)
        XCTAssertNil(result.scores)
        XCTAssertEqual(result.pairsMultiToken, 0)
        XCTAssertEqual(
            result.skipReason,
            "only 0 of 100 pairs have a source of several tokens and a target of one for this vocabulary (at least 30 needed)")
    }

    /// SmolLM2 from its GGUF file: the multi-token pairs are those Hugging Face
    /// `tokenizers` finds with the model's own tokenizer.json, and the prompts
    /// all keep their source as its own tokens.
    func testOnTheRealModelTheMultiTokenPairsAreThoseOfItsTokenizer() throws {
        _ = TestSupport.singleThreadedBLAS
        let path = try TestSupport.smollm2()
        let loaded = try Architectures.open(modelDirectory: path)
        let (decoder, _) = try Architectures.openDecoder(modelDirectory: path)
        let script = """
            import json, sys
            from tokenizers import Tokenizer
            t = Tokenizer.from_file(sys.argv[1])
            out = {}
            for name in sys.argv[2:]:
                pairs = json.load(open(name))
                keep = [[s, g] for s, g in pairs
                        if len(t.encode(" " + s, add_special_tokens=False).ids) > 1
                        and len(t.encode(" " + g, add_special_tokens=False).ids) == 1]
                out[name.split("/")[-1][:-5]] = keep
            json.dump(out, sys.stdout)
            """
        let names = ["work_to_location", "product_by_company", "noun_to_pronoun"]
        let files = names.map { TestSupport.repositoryRoot + "/Sources/Analysis/Relations/\($0).json" }
        let oracle = try TestSupport.python(
            ["-c", script, TestSupport.smollm2Fixtures + "/tokenizer.json"] + files)
        XCTAssertEqual(oracle.status, 0, oracle.stderr)
        let expected = try JSONSerialization.jsonObject(with: Data(oracle.stdout.utf8)) as! [String: [[String]]]
        for name in names {
            let relation = try BuiltinRelations.load(name)
            let mine = MultiTokenScores.pairs(relation, tokenizer: loaded.tokenizer, rows: loaded.weights.shape.vocab)
            XCTAssertEqual(mine.map { [$0.pair.source, $0.pair.target] }, expected[name], name)
        }
        XCTAssertEqual(expected["work_to_location"]?.count, 28)
        // work_to_location, with the threshold lowered to what this vocabulary keeps: every prompt is run.
        let relation = try BuiltinRelations.load("work_to_location")
        let tokenized = TokenizedRelation(relation, tokenizer: loaded.tokenizer, defaults: loaded.weights.defaultK)
        let statics = try RelationScorer(model: loaded.weights).score([tokenized]).0[0]
        let result = try MultiTokenScores.run(
            relation: relation, k: tokenized.k, statics: statics, model: loaded.weights, decoder: decoder,
            tokenizer: loaded.tokenizer, minimumPairs: 20)
        let t = try XCTUnwrap(result.scores?.templates.first, result.skipReason ?? "")
        XCTAssertEqual(t.withContext.prompts + t.dropped, 28)
        XCTAssertEqual(t.dropped, 0)
        XCTAssertEqual(result.scores?.withContext.score.n, 270)
    }
}
