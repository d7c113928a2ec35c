import Analysis
import Checkpoint
import ForwardPass
import Foundation
import HeadMapsTestSupport
import XCTest

/// GPT-2, GPT-NeoX, Phi-2, Qwen3, OLMo 2, Mixtral and OLMoE read from GGUF files that
/// llama.cpp's own converter wrote from the committed tiny checkpoints
/// (`Tests/crosscheck/llama_cpp_convert.py`, float32 tensors): the converter's
/// renaming, GPT-2's transposed `Conv1D` weights and GPT-NeoX's re-ordered
/// fused QKV are undone, and the mixtures' stacked experts are split back
/// into one matrix per expert, so every number equals the Hugging Face folder's.
final class ConvertedGGUFTests: XCTestCase {
    static let families = ["gpt2", "gpt_neox", "phi", "qwen3", "olmo2", "mixtral", "olmoe"]
    static let prompts = ["The capital of France is", "John and Mary went to the store. John gave a bottle of milk to", " Paris"]

    func testEachFamilyRunsAsItsHuggingFaceFolderFromTheConvertersFile() throws {
        _ = TestSupport.singleThreadedBLAS
        for family in Self.families {
            let gguf = TestSupport.repositoryRoot + "/fixtures/gguf/\(family).gguf"
            let folder = TestSupport.repositoryRoot + "/fixtures/models/hf/\(family)"
            let (fromFile, fileTokenizer) = try Architectures.openDecoder(modelDirectory: gguf)
            let (fromFolder, folderTokenizer) = try Architectures.openDecoder(modelDirectory: folder)
            XCTAssertEqual(fromFile.shape, fromFolder.shape, family)
            for prompt in Self.prompts {
                let ids = folderTokenizer.modelInput(prompt)
                XCTAssertEqual(fileTokenizer.modelInput(prompt), ids, "\(family): \(prompt.debugDescription)")
                let a = try ForwardPass(weights: fromFile).run([ids]).logits
                let b = try ForwardPass(weights: fromFolder).run([ids]).logits
                XCTAssertEqual(a.storage, b.storage, "\(family): the same weights give the same logits, bit for bit")
            }
        }
    }

    func testEachFamilyScoresAsItsHuggingFaceFolderFromTheConvertersFile() throws {
        let relations = ["name_copying", "word_to_antonym", "country_to_capital"]
        for family in Self.families {
            let fromFile = try TestSupport.score(TestSupport.repositoryRoot + "/fixtures/gguf/\(family).gguf", relations: relations, minimumPairs: 1)
            let fromFolder = try TestSupport.score(TestSupport.repositoryRoot + "/fixtures/models/hf/\(family)", relations: relations, minimumPairs: 1)
            XCTAssertEqual(fromFile.count, relations.count, family)
            for (a, b) in zip(fromFile, fromFolder) {
                XCTAssertGreaterThan(a.pairsKept, 0, "\(family) \(a.name)")
                XCTAssertEqual(a.pairsKept, b.pairsKept, "\(family) \(a.name)")
                XCTAssertEqual(a.hits, b.hits, "\(family) \(a.name)")
                XCTAssertEqual(a.suppressionHits, b.suppressionHits, "\(family) \(a.name)")
            }
        }
    }

    func testTheConvertersMetadataDescribesTheModel() throws {
        // Phi-2's converter writes 4·d as the MLP width; the model's is the weight's.
        let phi = try CheckpointDirectory(path: TestSupport.repositoryRoot + "/fixtures/gguf/phi.gguf")
        XCTAssertEqual(try phi.config.int("intermediate_size"), 32)
        XCTAssertEqual(phi.gguf?.file.metadata["phi2.feed_forward_length"]?.integer, 64)
        XCTAssertEqual(phi.shape(of: "layers.0.mlp.fc1.weight"), [32, 16])
        // GPT-2's Conv1D weights come back [in, out].
        let gpt2 = try CheckpointDirectory(path: TestSupport.repositoryRoot + "/fixtures/gguf/gpt2.gguf")
        XCTAssertEqual(gpt2.shape(of: "h.0.attn.c_attn.weight"), [16, 48])
        XCTAssertEqual(gpt2.gguf?.storedName("h.0.attn.c_attn.weight"), "blk.0.attn_qkv.weight")
        XCTAssertEqual(gpt2.gguf?.modelType, "gpt2")
        let neox = try CheckpointDirectory(path: TestSupport.repositoryRoot + "/fixtures/gguf/gpt_neox.gguf")
        XCTAssertEqual(neox.gguf?.modelType, "gpt_neox")
        XCTAssertEqual(try neox.config.bool("use_parallel_residual"), true)
        // Mixtral is converted as `llama` with experts; each expert is its own slice of the stack.
        let mixtral = try CheckpointDirectory(path: TestSupport.repositoryRoot + "/fixtures/gguf/mixtral.gguf")
        XCTAssertEqual(mixtral.gguf?.modelType, "mixtral")
        XCTAssertEqual(try mixtral.config.int("num_local_experts"), 4)
        XCTAssertEqual(try mixtral.config.int("num_experts_per_tok"), 2)
        XCTAssertEqual(mixtral.shape(of: "layers.1.block_sparse_moe.experts.3.w2.weight"), [16, 32])
        XCTAssertEqual(mixtral.gguf?.storedName("layers.1.block_sparse_moe.experts.3.w2.weight"), "blk.1.ffn_down_exps.weight")
        let olmoe = try CheckpointDirectory(path: TestSupport.repositoryRoot + "/fixtures/gguf/olmoe.gguf")
        XCTAssertEqual(try olmoe.config.bool("norm_topk_prob"), false)
    }

    func testATokenizerWithMoreTokensThanEmbeddingRowsIsRefused() throws {
        let broken = TestSupport.temporaryDirectory("gguf-extra-token") + "/gpt2.gguf"
        let written = try TestSupport.python([TestSupport.repositoryRoot + "/Tests/crosscheck/gguf_with_extra_token.py",
                                              TestSupport.repositoryRoot + "/fixtures/gguf/gpt2.gguf", broken])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertThrowsError(try Architectures.openDecoder(modelDirectory: broken)) { error in
            XCTAssertEqual("\(error)", "\(broken): tokenizer.ggml.tokens holds 6001 tokens but token_embd.weight has 6000 rows")
        }
    }
}
