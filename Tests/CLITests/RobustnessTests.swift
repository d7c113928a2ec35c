import Checkpoint
import Foundation
import HeadMapsTestSupport
import XCTest

/// Every bad input gets a clear error (which file, which tensor or key, what
/// was expected, what was found) and a non-zero exit.
final class RobustnessTests: XCTestCase {
    /// A copy of the tiny fixture to break.
    func modelCopy(_ name: String = "model") throws -> String {
        let dir = TestSupport.temporaryDirectory("broken") + "/" + name
        try FileManager.default.copyItem(atPath: TestSupport.tinyModel, toPath: dir)
        return dir
    }

    func assertScoresFail(_ model: String, _ words: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let out = TestSupport.temporaryDirectory("never") + "/s.json"
        let result = try HeadMapsExecutable.run(["scores", "--model", model, "--relation", "name_copying", "--out", out, "--quiet"])
        XCTAssertEqual(result.status, 2, "exit code", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("error: "), result.stderr, file: file, line: line)
        for word in words { XCTAssertTrue(result.stderr.contains(word), "'\(word)' not in: \(result.stderr)", file: file, line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output", file: file, line: line)
    }

    func editConfig(_ dir: String, _ edit: (inout [String: Any]) -> Void) throws {
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
    }

    /// Safetensors bytes with a given header text and data section.
    func safetensors(_ header: String, data: Int = 0) -> Data {
        var length = UInt64(header.utf8.count).littleEndian
        var out = Data(bytes: &length, count: 8)
        out.append(Data(header.utf8))
        out.append(Data(count: data))
        return out
    }

    // MARK: Model directory and config.json

    func testMissingModelDirectory() throws {
        try assertScoresFail("/nonexistent/model", ["/nonexistent/model", "model directory does not exist"])
    }

    func testMissingConfig() throws {
        let dir = try modelCopy()
        try FileManager.default.removeItem(atPath: dir + "/config.json")
        try assertScoresFail(dir, ["config.json", "is missing"])
    }

    func testConfigThatIsNotJSON() throws {
        let dir = try modelCopy()
        try "{ n_layer: 4 ".write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        try assertScoresFail(dir, ["config.json", "is not valid JSON"])
    }

    func testConfigMissingAKey() throws {
        let dir = try modelCopy()
        try editConfig(dir) { $0.removeValue(forKey: "n_head") }
        try assertScoresFail(dir, ["config.json", "missing key 'n_head'"])
    }

    func testConfigWithAWrongType() throws {
        let dir = try modelCopy()
        try editConfig(dir) { $0["n_layer"] = "four" }
        try assertScoresFail(dir, ["config.json", "key 'n_layer' must be a positive integer", "\"four\""])
    }

    func testUnknownArchitectureNamesItsModelTypeAndTheSupportedOnes() throws {
        let dir = try modelCopy()
        try editConfig(dir) { $0["model_type"] = "mamba"; $0["architectures"] = ["MambaForCausalLM"] }
        try assertScoresFail(dir, ["config.json", "model_type 'mamba' is not supported yet",
                                   "supported: GPT-2, GPT-NeoX (Pythia), Phi, Llama, Qwen2, Gemma 2"])
    }

    func testAConfigOfAnotherFamilyOverGPT2WeightsNamesTheMissingKey() throws {
        let dir = try modelCopy()
        try editConfig(dir) { $0["model_type"] = "llama" }
        try assertScoresFail(dir, ["config.json", "missing key 'num_hidden_layers'"])
    }

    // MARK: Safetensors

    func writeWeights(_ dir: String, _ data: Data) throws {
        try data.write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
    }

    func testFileShorterThanEightBytes() throws {
        let dir = try modelCopy()
        try writeWeights(dir, Data([1, 2, 3]))
        try assertScoresFail(dir, ["model.safetensors", "is 3 bytes long", "8-byte header length"])
    }

    func testHeaderLengthBeyondTheFile() throws {
        let dir = try modelCopy()
        var data = safetensors("{}")
        data.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        try writeWeights(dir, data)
        try assertScoresFail(dir, ["model.safetensors", "do not give a header length within the file", "truncated"])
    }

    func testHeaderThatIsNotJSON() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors("{\"wte.weight\": {"))
        try assertScoresFail(dir, ["model.safetensors", "header is not valid JSON"])
    }

    func testHeaderThatIsNotAnObject() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors("[1, 2]"))
        try assertScoresFail(dir, ["model.safetensors", "not an object of tensor entries"])
    }

    func testOffsetsOutOfBounds() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors(#"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: 8))
        try assertScoresFail(dir, ["tensor 'a'", "data_offsets [0, 16] lie outside the data section of 8 bytes"])
    }

    func testOverlappingTensors() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, data: 12))
        try assertScoresFail(dir, ["tensor 'b' overlaps 'a'"])
    }

    func testTensorsNotCoveringTheData() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: 12))
        try assertScoresFail(dir, ["the data section has 12 bytes but the tensors cover 8"])
    }

    func testUnknownDtype() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors(#"{"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}"#, data: 16))
        try assertScoresFail(dir, ["tensor 'a'", "unsupported dtype 'F128'", "known: F32, F16, BF16"])
    }

    func testShapeThatDoesNotMatchTheByteCount() throws {
        let dir = try modelCopy()
        try writeWeights(dir, safetensors(#"{"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 20]}}"#, data: 20))
        try assertScoresFail(dir, ["tensor 'a'", "shape [2, 3] of F32 needs 24 bytes, data_offsets give 20"])
    }

    func testIntegerWeights() throws {
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel)
        // Re-declare one attention weight as I32 (same byte size): valid safetensors, unusable weights.
        let path = dir + "/model.safetensors"
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        header = header.replacingOccurrences(of: #""h.1.attn.c_proj.weight":{"dtype":"F32""#, with: #""h.1.attn.c_proj.weight":{"dtype":"I32""#)
        data.replaceSubrange(8..<(8 + headerLength), with: Data(header.utf8))
        try data.write(to: URL(fileURLWithPath: path))
        try assertScoresFail(dir, ["tensor 'h.1.attn.c_proj.weight' has dtype I32", "weights must be F32, F16 or BF16"])
    }

    func testTensorShapeThatDoesNotMatchTheConfig() throws {
        let dir = try modelCopy()
        try editConfig(dir) { $0["n_embd"] = 128 }
        try assertScoresFail(dir, ["tensor 'wte.weight' has shape [", ", 64], config.json implies [", ", 128]"])
    }

    func testMissingTensor() throws {
        let source = try SafetensorsFile(path: TestSupport.tinyModel + "/model.safetensors")
        let dir = try modelCopy()
        let entries = source.tensors.values.filter { $0.name != "h.2.attn.c_proj.weight" }.map { SafetensorsWriter.Entry(name: $0.name, dtype: .f32, shape: $0.shape) }
        try SafetensorsWriter.write(to: dir + "/model.safetensors", entries: entries) { try source.floats(source.tensors[$0.name]!).array }
        try assertScoresFail(dir, ["tensor 'h.2.attn.c_proj.weight' is missing", "expected shape [64, 64]"])
    }

    func testShardNamedInTheIndexButAbsent() throws {
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel, shards: 2)
        try FileManager.default.removeItem(atPath: dir + "/model-00002-of-00002.safetensors")
        try assertScoresFail(dir, ["model.safetensors.index.json", "names shard 'model-00002-of-00002.safetensors', which is not in"])
    }

    // MARK: Vocabulary

    func testMissingVocabulary() throws {
        let dir = try modelCopy()
        try FileManager.default.removeItem(atPath: dir + "/vocab.json")
        try assertScoresFail(dir, ["no tokenizer.json, vocab.json + merges.txt or encoder.json + vocab.bpe"])
    }

    func testMalformedVocabulary() throws {
        let dir = try modelCopy()
        try #"["a", "b"]"#.write(toFile: dir + "/vocab.json", atomically: true, encoding: .utf8)
        try assertScoresFail(dir, ["vocab.json", "is not a JSON object of token → id"])
    }

    func testMalformedMergesLine() throws {
        let dir = try modelCopy()
        try "#version: 0.2\nĠ t\nthree parts here\n".write(toFile: dir + "/merges.txt", atomically: true, encoding: .utf8)
        try assertScoresFail(dir, ["merges.txt", "line 3 is not two tokens separated by one space"])
    }

    func testMergeOfTokensOutsideTheVocabulary() throws {
        let dir = try modelCopy()
        try "#version: 0.2\nĠ t\nzz qq\n".write(toFile: dir + "/merges.txt", atomically: true, encoding: .utf8)
        try assertScoresFail(dir, ["merges.txt", "merge 2 'zz qq' produces 'zzqq', which the vocabulary file does not hold"])
    }

    // MARK: Relations

    func testRelationWhosePairsAreNeverSingleTokensIsSkippedNotAnError() throws {
        let dir = TestSupport.temporaryDirectory("rare")
        try #"[["Xylophonistically", "Quasiperiodicity"], ["Floccinaucinihilipilification", "Zzyzx"]]"#.write(toFile: dir + "/rare.json", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation-file", dir + "/rare.json", "--out", dir + "/s.json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("skipping rare: only 0 of 2 pairs are single tokens"), result.stderr)
        XCTAssertTrue(try String(contentsOfFile: dir + "/s.json", encoding: .utf8).contains("\"skipped\": true"))
    }

    func testRelationFileThatIsNotPairs() throws {
        let dir = TestSupport.temporaryDirectory("badrel")
        try #"[["only one"]]"#.write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation-file", dir + "/bad.json", "--out", dir + "/s.json"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("bad.json: item 0 is not a pair of two strings"), result.stderr)
    }

    // MARK: Outputs

    func testOutputFolderThatCannotBeCreated() throws {
        let dir = TestSupport.temporaryDirectory("blocked")
        try "a file".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
        let result = try HeadMapsExecutable.run(["report", "--out", dir + "/file/report", "--quiet"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("cannot create the output folder"), result.stderr)
        let scores = try HeadMapsExecutable.run(["scores", "--model", TestSupport.tinyModel, "--relation", "name_copying", "--out", dir + "/file/s.json", "--quiet"])
        XCTAssertEqual(scores.status, 2)
        XCTAssertTrue(scores.stderr.contains(dir + "/file"), scores.stderr)
    }

    /// A full disk, simulated with a file-size limit: the write fails, the
    /// error says so, and neither a partial report nor a staging folder remains.
    func testFullDiskLeavesNoPartialReportAndKeepsTheOldOne() throws {
        let dir = TestSupport.temporaryDirectory("full")
        try FileManager.default.createDirectory(atPath: dir + "/report", withIntermediateDirectories: true)
        try "previous".write(toFile: dir + "/report/report.md", atomically: true, encoding: .utf8)
        try #"{"schema": "headmaps.manifest.v1"}"#.write(toFile: dir + "/report/manifest.json", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ulimit -f 64; exec \"$0\" report --quiet --out \"$1\"", HeadMapsExecutable.path, dir + "/report"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2, message)
        XCTAssertTrue(message.contains("could not be written") && message.contains("nothing was changed there"), message)
        XCTAssertFalse(message.contains("Success"), "a failure never reads as success: \(message)")
        XCTAssertEqual(try String(contentsOfFile: dir + "/report/report.md", encoding: .utf8), "previous")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["report"], "no staging folder left")
    }

    func testInterruptLeavesNoPartialReport() throws {
        let dir = TestSupport.temporaryDirectory("interrupt")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: HeadMapsExecutable.path)
        process.arguments = ["report", "--quiet", "--out", dir + "/report"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        // Handlers are installed first thing; the whole report takes about 1.7 s.
        Thread.sleep(forTimeInterval: 0.5)
        process.interrupt()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertTrue(message.contains("interrupted before any output was complete"), message)
        XCTAssertEqual(process.terminationReason, .exit, "exits by itself rather than dying of a signal")
        XCTAssertEqual(process.terminationStatus, 130, "128 + SIGINT")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "nothing at the destination, no staging")
    }

    /// A checkpoint that shrinks while mapped is caught before its pages are read.
    func testCheckpointThatShrinksWhileOpenIsReportedNotACrash() throws {
        let dir = try CheckpointCopies.rewrite(TestSupport.tinyModel)
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/model.safetensors"))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        XCTAssertThrowsError(try file.floats(file.tensors["wte.weight"]!)) { error in
            XCTAssertTrue("\(error)".contains("changed size while it was being read"), "\(error)")
        }
    }
}

/// The inputs kept under fixtures/fuzz/ (seeds, and any crash the fuzzer
/// found) replayed through the same targets: what once crashed stays fixed.
final class FuzzRegressionTests: XCTestCase {
    func testKeptFuzzInputsRunWithoutACrash() throws {
        let root = TestSupport.repositoryRoot + "/fixtures/fuzz"
        let replay = (HeadMapsExecutable.path as NSString).deletingLastPathComponent + "/HeadMapsFuzz"
        let targets = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        XCTAssertEqual(targets, ["bpe", "config", "gguf", "index", "pattern", "png", "relation", "safetensors", "scores", "spec", "templates", "tokenizer-json", "vocabulary"])
        for target in targets {
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(target)").sorted().map { "\(root)/\(target)/\($0)" }
            XCTAssertFalse(files.isEmpty, target)
            let result = try TestSupport.run(replay, [target] + files, directory: TestSupport.repositoryRoot)
            let text = result.stdout + result.stderr
            XCTAssertEqual(result.status, 0, "\(target): \(text)")
            XCTAssertTrue(text.contains("\(files.count) inputs ran through \(target) without a crash"), text)
        }
    }
}
