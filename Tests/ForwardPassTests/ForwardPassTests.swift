import Checkpoint
import Core
import ForwardPass
import Foundation
import HeadMapsTestSupport
import LinearAlgebra
import PlantedModels
import XCTest

/// The forward pass against independent implementations, and its hooks
/// checked directly.
final class ForwardPassTests: XCTestCase {
    func open(_ dir: String) throws -> ForwardPass {
        _ = TestSupport.singleThreadedBLAS
        return ForwardPass(weights: try Architectures.openDecoder(modelDirectory: dir).0)
    }

    func assertClose(_ ours: Matrix, _ theirs: [[Double]], tolerance: Double = 1e-4, _ label: String = "", line: UInt = #line) {
        XCTAssertEqual(ours.rows, theirs.count, line: line)
        for (r, row) in theirs.enumerated() {
            XCTAssertEqual(ours.cols, row.count, line: line)
            let scale = row.map(abs).max() ?? 1
            var worst = 0.0
            for (c, v) in row.enumerated() { worst = max(worst, abs(Double(ours[r, c]) - v) / max(scale, 1e-6)) }
            XCTAssertLessThan(worst, tolerance, "\(label) prompt \(r): largest difference relative to the row's largest logit", line: line)
        }
    }

    /// Hugging Face transformers' own logits (float32, eager attention) on
    /// the checkpoints it wrote, kept beside them, every family: GPT-2;
    /// GPT-NeoX (fused QKV per head, rotary on a quarter of each head, the
    /// parallel residual); Phi (rotary on half, one norm for both branches,
    /// lm_head's bias); Llama (BF16, three shards, grouped-query attention,
    /// rotary, gated MLP); Qwen2 (q/k/v biases, tied); Gemma 2 (scaled
    /// embedding, four norms a block, soft-capped scores and logits).
    func testLogitsEqualTransformersOnCheckpointsItWrote() throws {
        for family in TestSupport.transformersFamilies {
            let dir = TestSupport.repositoryRoot + "/fixtures/models/hf/" + family
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/transformers_logits.json"))) as! [String: Any]
            let prompts = expected["prompts"] as! [[Int]]
            let output = try open(dir).run(prompts)
            assertClose(output.logits, expected["logits_last_position"] as! [[Double]], family)
            XCTAssertGreaterThan(output.logits.storage.map(abs).max() ?? 0, 0.1, "\(family): logits large enough to tell")
            // One prompt alone gives the same logits as inside the batch.
            let model = try open(dir)
            let tolerance = try model.weights.float32Tolerance(positions: prompts.map(\.count).max()!)
            let alone = try model.run([prompts[1]])
            TestSupport.assertRowsAgree(alone.logits, output.logits.gatherRows([1]), tolerance: tolerance, family)
            // The last position from a cached prefix equals the full pass.
            let cached = try model.lastLogits(try model.prefix(prompts))
            TestSupport.assertRowsAgree(cached, output.logits, tolerance: tolerance, family)
        }
    }

    /// Gemma 2's sliding layers: with a window of 3 positions, shorter than
    /// the prompts, the logits are transformers' with that window.
    func testGemma2SlidingWindowMatchesTransformers() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/gemma2"
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/transformers_logits.json"))) as! [String: Any]
        let dir = try copy(source, config: { $0["sliding_window"] = 3 })
        let prompts = expected["prompts"] as! [[Int]]
        let windowed = try open(dir)
        XCTAssertEqual(try windowed.weights.attention(0).slidingWindow, 3, "layer_types: layer 0 slides")
        XCTAssertNil(try windowed.weights.attention(1).slidingWindow)
        let logits = try windowed.run(prompts).logits
        assertClose(logits, expected["logits_last_position_sliding_window_3"] as! [[Double]])
        XCTAssertNotEqual(logits, try open(source).run(prompts).logits)
        let cached = try windowed.lastLogits(try windowed.prefix(prompts))
        TestSupport.assertRowsAgree(cached, logits, tolerance: try windowed.weights.float32Tolerance(positions: prompts.map(\.count).max()!))
    }

    /// Prompts that share their first tokens (a template's words before its
    /// subject) run those once: the logits, recorded `z` and value vectors
    /// equal each prompt's own run, with learned and with rotary positions
    /// and with heads zeroed.
    func testSharedLeadingTokensRunOnceWithTheSameResults() throws {
        for dir in [TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2", TestSupport.repositoryRoot + "/fixtures/models/hf/llama"] {
            let model = try open(dir)
            let batch = [[5, 6, 7, 8, 20, 21], [5, 6, 7, 8, 30, 31], [5, 6, 7, 8, 40, 41]]
            var interventions = Interventions()
            let head = HeadIndex(layer: 1, head: 2)
            interventions.recorded[head] = 5
            interventions.recordedValues[head] = 4
            interventions.zeroed.insert(HeadIndex(layer: 0, head: 1))
            XCTAssertEqual(model.sharedPrefixLength(batch, interventions: interventions, wanted: [5]), 4)
            var named = interventions
            named.recorded[head] = 2
            XCTAssertEqual(model.sharedPrefixLength(batch, interventions: named, wanted: [5]), 2, "not past a position an intervention names")
            let together = try model.run(batch, interventions: interventions)
            let tolerance = try model.weights.float32Tolerance(positions: batch[0].count)
            for (b, prompt) in batch.enumerated() {
                let alone = try model.run([prompt], interventions: interventions)
                TestSupport.assertRowsAgree(together.logits.gatherRows([b]), alone.logits, tolerance: tolerance, "\(dir) prompt \(b)")
                TestSupport.assertRowsAgree(together.recorded[head]!.gatherRows([b]), alone.recorded[head]!, tolerance: tolerance, "z")
                TestSupport.assertRowsAgree(together.recordedValues[head]!.gatherRows([b]), alone.recordedValues[head]!, tolerance: tolerance, "v")
            }
        }
    }

    /// Converted blocks past the cache's budget are read again for every run,
    /// with the same logits; F32 blocks read in place cost the budget nothing.
    func testABlockCacheBudgetKeepsResults() throws {
        _ = TestSupport.singleThreadedBLAS
        let prompts = [[5, 6, 7, 8], [9, 10, 11, 12]]
        let llama = try Architectures.openDecoder(modelDirectory: TestSupport.repositoryRoot + "/fixtures/models/hf/llama").0
        let cached = ForwardPass(weights: llama), uncached = ForwardPass(weights: llama, blockCacheBytes: 0)
        XCTAssertEqual(try uncached.run(prompts).logits, try cached.run(prompts).logits)
        XCTAssertEqual(cached.cachedBlocks, llama.shape.layers)
        XCTAssertEqual(uncached.cachedBlocks, 0, "BF16 blocks converted to float32 do not fit a budget of 0")
        XCTAssertGreaterThan(try llama.block(0).convertedBytes, 0)
        let gpt2 = ForwardPass(weights: try Architectures.openDecoder(modelDirectory: TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2").0,
                               blockCacheBytes: 0)
        _ = try gpt2.run(prompts)
        XCTAssertEqual(gpt2.cachedBlocks, gpt2.weights.shape.layers, "F32 blocks are the mapping itself")
    }

    /// GPT-NeoX with `use_parallel_residual: false`: the MLP reads the stream after attention.
    func testGPTNeoXSequentialResidualMatchesTransformers() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/gpt_neox"
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/transformers_logits.json"))) as! [String: Any]
        let dir = try copy(source, config: { $0["use_parallel_residual"] = false })
        let prompts = expected["prompts"] as! [[Int]]
        let logits = try open(dir).run(prompts).logits
        assertClose(logits, expected["logits_last_position_sequential_residual"] as! [[Double]])
        XCTAssertNotEqual(logits, try open(source).run(prompts).logits)
    }

    /// A copy of a committed checkpoint with its config.json changed.
    /// A multimodal Gemma 3 checkpoint (`model_type: gemma3`): the language
    /// model's config in `text_config`, its tensors under `language_model.model.`,
    /// a vision tower beside them. It runs as the text model does.
    func testAMultimodalGemma3RunsItsLanguageModel() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/gemma3"
        let dir = TestSupport.temporaryDirectory("gemma3-multimodal")
        for name in ["tokenizer.json", "tokenizer_config.json"] { try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/" + name) }
        let text = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        let config: [String: Any] = ["model_type": "gemma3", "text_config": text, "vision_config": ["model_type": "siglip_vision_model"]]
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let original = try SafetensorsFile(path: source + "/model.safetensors")
        let checkpoint = try CheckpointDirectory(path: source)
        var entries = original.tensors.values.map { SafetensorsWriter.Entry(name: "language_model." + $0.name, dtype: .f32, shape: $0.shape) }
        entries.append(SafetensorsWriter.Entry(name: "vision_tower.vision_model.embeddings.patch_embedding.weight", dtype: .f32, shape: [4, 3]))
        try SafetensorsWriter.write(to: dir + "/model.safetensors", entries: entries) { entry in
            guard entry.name.hasPrefix("language_model.") else { return [Float](repeating: 0.5, count: 12) }
            let name = CheckpointDirectory.canonicalName(String(entry.name.dropFirst("language_model.".count)))
            return try checkpoint.tensor(name, shape: entry.shape).array
        }
        let prompts = [[5, 6, 7, 8, 9, 10, 11, 12]]
        XCTAssertEqual(try open(dir).run(prompts).logits, try open(source).run(prompts).logits)
        XCTAssertEqual(try Architectures.load(modelDirectory: dir).1.architecture, "Gemma 3")
    }

    /// Phi-3's long-context scalings change every angle in ways this forward
    /// pass does not compute: refused by name, never run with plain angles;
    /// the static analysis, which has no positions, still reads the model.
    func testLongRopeIsRefusedByNameWhenRunning() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/phi3"
        for kind in ["longrope", "su"] {
            let dir = try copy(source) { config in
                config["rope_parameters"] = ["rope_type": kind, "rope_theta": 10_000.0, "partial_rotary_factor": 0.5,
                                             "short_factor": [1.0, 1.0], "long_factor": [2.0, 2.0]]
            }
            XCTAssertThrowsError(try open(dir)) { error in
                XCTAssertTrue("\(error)".contains("rotary scaling '\(kind)' is not supported"), "\(error)")
            }
            XCTAssertNoThrow(try Architectures.load(modelDirectory: dir))
        }
    }

    func copy(_ source: String, config change: (inout [String: Any]) -> Void) throws -> String {
        let dir = TestSupport.temporaryDirectory("changed-config")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name != "config.json" {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir + "/" + name)
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        change(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return dir
    }

    /// Llama 3.1's rotary scaling (`rope_type: llama3`) rescales the
    /// frequencies exactly as transformers does: its logits with that config.
    func testLlama3RotaryScalingMatchesTransformers() throws {
        let source = TestSupport.repositoryRoot + "/fixtures/models/hf/llama"
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/transformers_logits.json"))) as! [String: Any]
        let dir = try copy(source, config: { $0["rope_parameters"] = expected["rope_parameters_llama3"] })
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as! [String: Any]
        let prompts = expected["prompts"] as! [[Int]]
        let scaled = try open(dir).run(prompts).logits
        assertClose(scaled, expected["logits_last_position_llama3_rope"] as! [[Double]])
        XCTAssertNotEqual(scaled, try open(source).run(prompts).logits, "the scaling changes these prompts' logits")

        // Transformers 4's spelling of the same scaling: rope_theta and rope_scaling.
        var older = config
        var scaling = expected["rope_parameters_llama3"] as! [String: Any]
        older["rope_theta"] = scaling.removeValue(forKey: "rope_theta")
        older["rope_parameters"] = nil
        older["rope_scaling"] = scaling
        try JSONSerialization.data(withJSONObject: older).write(to: URL(fileURLWithPath: dir + "/config.json"))
        XCTAssertEqual(try open(dir).run(prompts).logits, scaled)

        // A scaling the forward pass does not implement is refused by name.
        older["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0]
        try JSONSerialization.data(withJSONObject: older).write(to: URL(fileURLWithPath: dir + "/config.json"))
        XCTAssertThrowsError(try open(dir)) { error in
            XCTAssertTrue("\(error)".contains("rotary scaling 'yarn' is not supported by the forward pass (supported: default, linear, llama3)"), "\(error)")
            XCTAssertTrue("\(error)".contains("rope_scaling"), "\(error)")
        }
    }

    /// numpy in float64 (its own reading of the tensors), on the planted
    /// fixture and on the transformers-written one, single prompts and batches.
    func testLogitsEqualNumpyOnPlantedAndRandomCheckpoints() throws {
        for dir in [TestSupport.tinyModel, TestSupport.repositoryRoot + "/fixtures/models/hf/gpt2"] {
            let model = try open(dir)
            for batch in [[[5, 17, 300, 42]], [[5, 17, 300, 42], [1, 2, 3, 4], [900, 800, 700, 600]]] {
                let input = String(decoding: try JSONSerialization.data(withJSONObject: batch), as: UTF8.self)
                let result = try TestSupport.python([TestSupport.repositoryRoot + "/Tests/crosscheck/gpt2_forward_numpy.py", dir], stdin: input)
                XCTAssertEqual(result.status, 0, result.stderr)
                let theirs = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[Double]]
                assertClose(try model.run(batch).logits, theirs)
            }
        }
    }

    /// With a head's pattern forced onto one key, its recorded `z` at that
    /// query is exactly the key position's value vector.
    func testAForcedPatternMakesZTheSourcesValueVector() throws {
        let model = try open(TestSupport.tinyModel)
        let head = HeadIndex(layer: 0, head: 2)
        var interventions = Interventions()
        interventions.forcedPatterns[head] = .init(query: 3, key: 1)
        interventions.recorded[head] = 3
        let prompt = [11, 22, 33, 44]
        let z = try XCTUnwrap(try model.run([prompt], interventions: interventions).recorded[head])
        // The value vector of position 1: LN1(E[22] + P[1]) · W_V + b_V, head 2's columns.
        let w = model.weights, d = w.shape.dModel, dh = w.shape.dHead
        let block = try w.block(0)
        var x = Matrix(rows: 1, cols: d)
        w.embedding.withMatrix { e in try! XCTUnwrap(w.positions).withMatrix { p in for j in 0..<d { x[0, j] = e[22, j] + p[1, j] } } }
        let h = block.attention.norm.apply(to: x)
        let qkv = try XCTUnwrap(block.attention.queryKeyValue.first)
        var expected = Matrix(rows: 1, cols: dh)
        for j in 0..<dh {
            var v = qkv.bias[2 * d + 2 * dh + j]
            qkv.weight.withMatrix { q in for i in 0..<d { v += h[0, i] * q[i, 2 * d + 2 * dh + j] } }
            expected[0, j] = v
        }
        TestSupport.assertRowsAgree(z.gatherRows([0]), expected, tolerance: try w.float32Tolerance(positions: 2))
    }

    /// With every head of a layer zeroed, the layer's attention adds only its
    /// output bias: the same as replacing every head's z with zeros, and
    /// different from the unablated run.
    func testZeroingEveryHeadOfALayerLeavesOnlyItsOutputBias() throws {
        let model = try open(TestSupport.tinyModel)
        let heads = model.weights.shape.heads, dh = model.weights.shape.dHead
        let prompts = [[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]
        var zeroed = Interventions(), replaced = Interventions()
        for h in 0..<heads {
            zeroed.zeroed.insert(HeadIndex(layer: 1, head: h))
            replaced.replacedZ[HeadIndex(layer: 1, head: h)] = Matrix(rows: prompts.count * 5, cols: dh)
        }
        let a = try model.run(prompts, interventions: zeroed).logits, b = try model.run(prompts, interventions: replaced).logits
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try model.run(prompts).logits)
        // Zeroing one head of a layer changes the logits less than zeroing them all.
        var one = Interventions()
        one.zeroed.insert(HeadIndex(layer: 1, head: 0))
        XCTAssertNotEqual(try model.run(prompts, interventions: one).logits, a)
    }

    func testBadInputsAreNamedErrors() throws {
        let model = try open(TestSupport.tinyModel)
        XCTAssertThrowsError(try model.run([[1, 2], [3]])) { XCTAssertEqual("\($0)", "a batch needs prompts of one length (in tokens); got 2, 1") }
        XCTAssertThrowsError(try model.run([[1, 999_999]])) { XCTAssertTrue("\($0)".contains("token id 999999 is outside the model's vocabulary")) }
        XCTAssertThrowsError(try model.run([Array(repeating: 1, count: 33)])) { XCTAssertEqual("\($0)", "a prompt of 33 tokens is longer than the model's 32 positions") }
        var bad = Interventions()
        bad.forcedPatterns[HeadIndex(layer: 0, head: 0)] = .init(query: 1, key: 2)
        XCTAssertThrowsError(try model.run([[1, 2, 3]], interventions: bad)) { XCTAssertTrue("\($0)".contains("not causal")) }
        let dir = try copy(TestSupport.repositoryRoot + "/fixtures/models/hf/phi", config: { $0["qk_layernorm"] = true })
        XCTAssertThrowsError(try open(dir)) { XCTAssertTrue("\($0)".contains("qk_layernorm true is not supported by the forward pass"), "\($0)") }
        let gemma = try copy(TestSupport.repositoryRoot + "/fixtures/models/hf/gemma2", config: { $0["query_pre_attn_scalar"] = 0 })
        XCTAssertThrowsError(try open(gemma)) { XCTAssertTrue("\($0)".contains("query_pre_attn_scalar must be a positive number, not 0.0"), "\($0)") }
    }
}
