import Core
import Analysis
import Checkpoint
import Foundation
import LinearAlgebra
import PlantedModels
import Plot
import Report
import HeadMapsTestSupport
import XCTest

/// Inputs that used to give a confident wrong answer now give an error that
/// names the tensor, key or file (or a stated warning), never a silent choice.
final class WrongAnswerTests: XCTestCase {
    /// The tiny fixture written in `dtype`, once per dtype.
    static let fixtures: [DType: String] = {
        var out: [DType: String] = [:]
        for dtype in [DType.f32, .f16, .bf16] {
            let dir = TestSupport.temporaryDirectory("tiny-\(dtype.rawValue)")
            _ = try! PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("tiny")!, seed: 7, dtype: dtype).write(to: dir)
            out[dtype] = dir
        }
        return out
    }()

    func copy(_ source: String) throws -> String {
        let dir = TestSupport.temporaryDirectory("wrong") + "/model"
        try FileManager.default.copyItem(atPath: source, toPath: dir)
        return dir
    }

    /// Overwrites element `index` of `tensor` with raw little-endian bits.
    func patch(_ model: String, tensor: String, index: Int, bits: UInt32) throws {
        let path = model + "/model.safetensors"
        let file = try SafetensorsFile(path: path)
        let info = try XCTUnwrap(file.tensors[tensor], tensor)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let size = info.dtype.byteSize
        let offset = 8 + headerLength + info.dataOffsets.lowerBound + index * size
        let bytes = withUnsafeBytes(of: bits.littleEndian) { Array($0.prefix(size)) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    func scoreFailure(_ model: String) -> (any Error)? {
        do {
            _ = try TestSupport.score(model, relations: ["name_copying"])
            return nil
        } catch {
            return error
        }
    }

    func scoreError(_ model: String) -> String? { scoreFailure(model).map { "\($0)" } }

    /// NaN, +Inf and −Inf in every tensor a head reads, in each dtype: an
    /// error with the tensor's name and the count, not a perfect score.
    func testNonFiniteWeightsAreNamedNotScored() throws {
        let d = 64  // the tiny fixture's d_model
        let targets: [(String, Int)] = [
            ("wte.weight", 5 * d + 3),                 // embedding and (tied) unembedding
            ("h.0.mlp.c_fc.weight", 7),                // block 0's MLP
            ("h.1.attn.c_attn.weight", 2 * d + 1),     // W_V (value columns of row 0)
            ("h.2.attn.c_proj.weight", 3),             // W_O
        ]
        let values: [DType: [UInt32]] = [.f32: [0x7FC0_0000, 0x7F80_0000, 0xFF80_0000], .f16: [0x7E00, 0x7C00, 0xFC00], .bf16: [0x7FC0, 0x7F80, 0xFF80]]
        for (dtype, source) in Self.fixtures.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for (i, (tensor, index)) in targets.enumerated() {
                let model = try copy(source)
                try patch(model, tensor: tensor, index: index, bits: values[dtype]![i % 3])
                try patch(model, tensor: tensor, index: index + 1, bits: values[dtype]![(i + 1) % 3])
                let error = try XCTUnwrap(scoreFailure(model), "\(dtype) \(tensor): scored despite non-finite weights")
                guard case .nonFinite(let file, tensor, 2, _)? = error as? CheckpointError else {
                    XCTFail("\(dtype) \(tensor): \(error)"); continue
                }
                XCTAssertEqual(file, model + "/model.safetensors")
                XCTAssertTrue("\(error)".contains("'\(tensor)' has 2 non-finite values (NaN or ±Inf)"), "\(dtype): \(error)")
            }
        }
    }

    /// An untied unembedding (`lm_head.weight`) is checked like every other tensor.
    func testNonFiniteUnembeddingIsNamed() throws {
        let config = try ConfigFile(path: TestSupport.tinyModel + "/config.json")
        let shape = [try config.int("vocab_size"), try config.int("n_embd")]
        for dtype in [DType.f32, .bf16] {
            let model = try CheckpointCopies.rewrite(TestSupport.tinyModel, dtype: dtype, extra: ["lm_head.weight": (dtype, shape)])
            try patch(model, tensor: "lm_head.weight", index: 100, bits: dtype == .f32 ? 0x7FC0_0000 : 0x7FC0)
            let message = try XCTUnwrap(scoreError(model), "\(dtype)")
            XCTAssertTrue(message.contains("'lm_head.weight' has 1 non-finite value (NaN or ±Inf)"), message)
        }
    }

    /// Finite weights whose products overflow float32: an error naming the head.
    func testLogitsThatWouldOverflowAreAnErrorNamingTheHead() throws {
        let model = try copy(Self.fixtures[.f32]!)
        try patch(model, tensor: "h.1.attn.c_attn.weight", index: 2 * 64 + 8, bits: (1e36 as Float).bitPattern)
        let error = try XCTUnwrap(scoreFailure(model))
        guard case .logitsMayOverflow(1, _, _)? = error as? AnalysisError else { return XCTFail("\(error)") }
        XCTAssertTrue("\(error)".contains("beyond float32's range"), "\(error)")
    }

    func testFirstMLPThatOverflowsIsAnError() throws {
        let model = try copy(Self.fixtures[.f32]!)
        // Row 0 of W_in and the first rows of W_out at float32's edge: finite, but their product is not.
        for i in 0..<256 {
            try patch(model, tensor: "h.0.mlp.c_fc.weight", index: i, bits: (3e38 as Float).bitPattern)
            try patch(model, tensor: "h.0.mlp.c_proj.weight", index: i, bits: (3e38 as Float).bitPattern)
        }
        let message = try XCTUnwrap(scoreError(model))
        XCTAssertTrue(message.contains("block 0's MLP gives non-finite values"), message)
    }

    /// The scorer's results are independent of the thread count only with
    /// one BLAS thread per call; it says so rather than quietly changing it.
    func testScoringRequiresTheSingleThreadedBLASSetUp() throws {
        let (model, tokenizer) = try TestSupport.loadModel(TestSupport.tinyModel)
        let relation = TokenizedRelation(try BuiltinRelations.load("name_copying"), tokenizer: tokenizer)
        BLAS.setThreads(2)
        defer { BLAS.useSingleThread() }
        guard BLAS.threadCount == 2 else { throw XCTSkip("this OpenBLAS build runs one thread only") }
        XCTAssertThrowsError(try RelationScorer(model: model).score([relation])) { error in
            XCTAssertEqual(error as? AnalysisError, .blasNotSingleThreaded(threads: 2))
        }
    }

    func testKAtOrAboveTheVocabularyIsAnError() throws {
        let vocab = try ConfigFile(path: TestSupport.tinyModel + "/config.json").int("vocab_size")
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--k", "\(vocab)", "--out", TestSupport.temporaryDirectory("k") + "/s.json", "--quiet"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("k = \(vocab) is not below the vocabulary size \(vocab)"), result.stderr)
    }

    func testDuplicatePairsInARelationFileAreAnError() throws {
        let file = TestSupport.temporaryDirectory("dup") + "/pairs.json"
        try #"[["France", "Paris"], ["Spain", "Madrid"], ["France", "Paris"]]"#.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Relation.load(file: file)) { error in
            XCTAssertEqual(error as? RelationError, .duplicatePair(file: file, item: 2, first: 0, pair: #"["France","Paris"]"#))
            XCTAssertTrue("\(error)".contains("item 2 repeats item 0 [\"France\",\"Paris\"]; each pair must appear once"), "\(error)")
        }
    }

    /// A custom `copying.json` beside the built-in `copying` would overwrite its map.
    func testARelationNamedTwiceIsAnErrorOnTheCommandLineAndInASpec() throws {
        let dir = TestSupport.temporaryDirectory("twice")
        try #"[["cat", "cat"], ["dog", "dog"]]"#.write(toFile: dir + "/copying.json", atomically: true, encoding: .utf8)
        let cli = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "copying", "--relation-file", dir + "/copying.json", "--out", dir + "/s.json", "--quiet"])
        XCTAssertEqual(cli.status, 2)
        XCTAssertTrue(cli.stderr.contains("relation 'copying' is given twice (the built-in dataset and \(dir)/copying.json)"), cli.stderr)
        try "model: \(TestSupport.tinyModel)\nrelations: [copying]\nrelation_files: [copying.json]\n".write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let spec = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--quiet"])
        XCTAssertEqual(spec.status, 2)
        XCTAssertTrue(spec.stderr.contains("spec.yaml: relation 'copying' is given twice"), spec.stderr)
    }

    func testTwoFiguresOfOneNameAreAnError() throws {
        let dir = TestSupport.temporaryDirectory("figs")
        try """
        model: \(TestSupport.tinyModel)
        figures:
          - name: f
            panels: all
          - name: f
            panels: all
        """.write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReportSpec.load(file: dir + "/spec.yaml")) { error in
            XCTAssertTrue("\(error)".contains("spec.yaml:5: 'figures[2].name': 'f' names two figures (also at line 3)"), "\(error)")
        }
    }

    /// `true` reads as 1 through Foundation; it must be a type error instead.
    func testConfigBooleansAreNotNumbers() throws {
        let model = try copy(TestSupport.tinyModel)
        try editConfig(model) { $0["n_layer"] = true }
        let error = try XCTUnwrap(scoreFailure(model))
        XCTAssertEqual(error as? CheckpointError, .wrongType(file: model + "/config.json", key: "n_layer", expected: "a positive integer", found: "true"))
        XCTAssertTrue("\(error)".contains("key 'n_layer' must be a positive integer, found true"), "\(error)")
    }

    func testConfigDeclaringFewerLayersThanTheFileHoldsIsAnError() throws {
        let model = try copy(TestSupport.tinyModel)
        try editConfig(model) { $0["n_layer"] = 2 }
        let message = try XCTUnwrap(scoreError(model))
        XCTAssertTrue(message.contains("n_layer is 2 but the checkpoint holds layers up to 3 ('h.3."), message)
    }

    func testHugeConfigDimensionsAreAnErrorNotACrash() throws {
        let model = try copy(TestSupport.tinyModel)
        try editConfig(model) { $0["n_embd"] = 1 << 62 }
        let message = try XCTUnwrap(scoreError(model))
        XCTAssertTrue(message.contains("n_embd \(1 << 62) is larger than the limit"), message)
    }

    /// A user's relation file is recorded by path and hash, even when its name
    /// is a built-in relation's.
    func testManifestRecordsAUsersRelationFileAsAFile() throws {
        let dir = TestSupport.temporaryDirectory("manifest-rel")
        let builtin = try BuiltinRelations.load("country_to_capital")
        let pairs = builtin.pairs.map { "[\"\($0.source)\", \"\($0.target)\"]" }.joined(separator: ", ")
        try FileManager.default.createDirectory(atPath: dir + "/mine", withIntermediateDirectories: true)
        try "[\(pairs)]".write(toFile: dir + "/mine/country_to_capital.json", atomically: true, encoding: .utf8)
        try "model: \(TestSupport.demoModel)\nrelations: [name_copying]\nrelation_files: [mine/country_to_capital.json]\n"
            .write(toFile: dir + "/spec.yaml", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", dir + "/spec.yaml", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let manifest = try String(contentsOfFile: dir + "/spec/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("mine/country_to_capital.json"), manifest)
        XCTAssertFalse(manifest.contains("builtin:country_to_capital"), manifest)
        XCTAssertTrue(manifest.contains("builtin:name_copying.json"), manifest)
    }

    /// One pair on one head, with a hundred thousand kept pairs, is a difference.
    func testOnePairIsAlwaysADifference() throws {
        let kept = 100_003
        func document(_ hits: Int) -> ScoresDocument {
            ScoresDocument(source: "m", shape: ModelShape(layers: 2, heads: 2, dModel: 4, vocab: 10), relations: [
                RelationScores(name: "r", title: "R", k: 10, pairsTotal: kept, pairsKept: kept, skipReason: nil,
                               hits: [[hits, 7], [0, 0]], suppressionHits: [[0, 0], [0, 0]]),
            ])
        }
        let expected = try ScoresDocument.parse(Data(document(50_000).encoded().utf8), path: "e.json")
        let actual = try ScoresDocument.parse(Data(document(50_001).encoded().utf8), path: "a.json")
        let comparison = ScoresComparison(actual: actual, expected: expected)
        XCTAssertFalse(comparison.matches)
        XCTAssertTrue(comparison.summary.contains("0.0 (+1 pair)") && comparison.summary.contains("1e-05"), comparison.summary)
        // And in a top-N set: the head one pair ahead is the one chosen.
        let values = [[Double(50_001) / Double(kept), Double(50_000) / Double(kept)]]
        XCTAssertEqual(ScoreOrder.top(values, 1), [HeadIndex(layer: 0, head: 0)])
        XCTAssertEqual(ScoreOrder.top([[values[0][1], values[0][0]]], 1), [HeadIndex(layer: 0, head: 1)])
    }

    func editConfig(_ dir: String, _ edit: (inout [String: Any]) -> Void) throws {
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
    }
}
