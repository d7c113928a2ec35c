import Analysis
import ForwardPass
import Checkpoint
import Foundation
import LinearAlgebra
import PlantedModels
import Plot
import Report
import Tokenizer

// headmaps-bench: the speed of the analysis on a GPT-2-medium-shaped checkpoint.
//
//   swift run -c release headmaps-bench [--naive-layers N] [--fixture DIR]
//
// Builds (once, cached under .build/headmaps-bench/) a planted checkpoint of GPT-2
// medium's shape (24 × 16 heads, d_model 1024, vocabulary 50257, 1.4 GB) and prints,
// per phase, wall time, GFLOP/s and peak resident memory; OpenBLAS's own sgemm
// throughput; and a naive baseline computed the way the paper's code does (full
// logits per head and relation), with the speed-up and whether every score agrees.
// The naive baseline runs on the first N layers (default: all 24 for the two
// figure relations, 2 for all 20) and is extrapolated to the whole model.

let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
if arguments.contains("--help") {
    print("usage: headmaps-bench [--fixture DIR] [--repeats N] [--naive-layers N] [--naive-layers-all N] [--skip-naive]")
    exit(0)
}
let fixture = option("--fixture") ?? ".build/headmaps-bench/gpt2-medium"
let naiveLayersFigure = Int(option("--naive-layers") ?? "24")!
let naiveLayersAll = Int(option("--naive-layers-all") ?? "2")!
let repeats = Int(option("--repeats") ?? "3")!
let skipNaive = arguments.contains("--skip-naive")

// MARK: Measuring

/// Peak resident memory since the last reset (Linux: VmHWM, reset through clear_refs).
func peakResidentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
}
func resetPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }

struct Phase { let name: String; let seconds: Double; let gflop: Double?; let peakMB: Double; let note: String }
var phases: [Phase] = []
/// Runs `body` `repeats` times and keeps the fastest (this machine is shared
/// and its timings vary from run to run); peak memory is over all runs.
@MainActor func measure<T>(_ name: String, repeats: Int = 1, gflop: ((T) -> Double?)? = nil, note: ((T) -> String)? = nil, _ body: () throws -> T) rethrows -> T {
    resetPeak()
    let clock = ContinuousClock()
    var seconds = Double.infinity
    var last: T?
    for _ in 0..<max(1, repeats) {
        let start = clock.now
        last = try body()
        seconds = min(seconds, (clock.now - start).seconds)
    }
    let result = last!
    phases.append(Phase(name: name, seconds: seconds, gflop: gflop?(result), peakMB: peakResidentMB(), note: note?(result) ?? ""))
    let p = phases.last!
    FileHandle.standardError.write(Data(("  " + p.name.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%8.2f s\n", p.seconds)).utf8))
    return result
}

// MARK: Fixture

let fileManager = FileManager.default
if !fileManager.fileExists(atPath: fixture + "/model.safetensors") {
    FileHandle.standardError.write(Data("building the GPT-2-medium-shaped fixture in \(fixture) (once; 1.4 GB)…\n".utf8))
    try PlantedCheckpoint(shape: PlantedCheckpoint.Shape.preset("gpt2-medium")!, seed: 0).write(to: fixture)
}
let fileBytes = (try fileManager.attributesOfItem(atPath: fixture + "/model.safetensors")[.size] as! NSNumber).doubleValue

// MARK: sgemm

func sgemmGFLOPs(size n: Int, threads: Int) -> Double {
    BLAS.setThreads(threads)
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0..<3 {
        let clock = ContinuousClock(), start = clock.now
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
        } } }
        best = min(best, (clock.now - start).seconds)
    }
    return 2 * Double(n * n * n) / best / 1e9
}
FileHandle.standardError.write(Data("measuring…\n".utf8))
let sgemm1 = sgemmGFLOPs(size: 2048, threads: 1)
let cores = ProcessInfo.processInfo.activeProcessorCount
let sgemmAll = sgemmGFLOPs(size: 4096, threads: cores)
BLAS.useSingleThread()

// MARK: Phases

let (model, tokenizer) = try measure("open (mmap, config, MLP0, BPE)") { () -> (TransformerWeights, ByteLevelBPE) in
    let (_, m) = try Architectures.load(modelDirectory: fixture)
    return (m, try ByteLevelBPE(directory: fixture))
}
let figureRelations = try ["name_copying", "country_to_capital"].map { TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer) }
let allRelations = try BuiltinRelations.loadAll().map { TokenizedRelation($0, tokenizer: tokenizer) }

func scoreGFLOPs(_ stats: ScoringStatistics) -> Double? { stats.flops / 1e9 }
let (figureScores, figureStats) = try measure("score: 2 figure relations", repeats: repeats, gflop: { scoreGFLOPs($0.1) }) {
    try RelationScorer(model: model).score(figureRelations)
}
let (allScores, allStats) = try measure("score: all 20 relations", repeats: repeats, gflop: { scoreGFLOPs($0.1) }) {
    try RelationScorer(model: model).score(allRelations)
}
let sourceRows = allRelations.reduce(0) { $0 + $1.pairsKept }
_ = try measure("source representations (\(sourceRows) rows)") {
    try SourceRepresentations(model: model, tokens: allRelations.flatMap(\.sourceIds))
}

// Salient operations of every head (the head cards' computation for all of
// them): the vocabulary's sources once, then one wide product per layer.
let salientSources = try measure("salient: vocabulary sources (MLP0)") { try VocabularySources(model: model) }
let salient = try measure("salient: all \(model.shape.layers * model.shape.heads) heads", gflop: { _ in
    Double(model.shape.layers) * 2 * Double(model.shape.vocab) * Double(model.shape.dModel) * Double(model.shape.heads * model.shape.dHead) / 1e9
}) {
    try (0..<model.shape.layers).flatMap { try SalientOperations.layer(model: model, layer: $0, sources: salientSources.forLayer($0)) }
}
precondition(salient.count == model.shape.layers * model.shape.heads)

// The forward pass (issue 16): 100 prompts of 10 tokens, against numpy doing
// the same matrix products on this machine.
let decoder = try Architectures.openDecoder(modelDirectory: fixture).0
let promptBatch = (0..<100).map { p in (0..<10).map { (p * 31 + $0 * 7) % model.shape.vocab } }
_ = try measure("forward: 100 prompts × 10 tokens", repeats: repeats) { try ForwardPass(weights: decoder).run(promptBatch) }
var numpyForward: Double?
do {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "Tests/crosscheck/forward_products_numpy.py", String(model.shape.layers), String(model.shape.dModel),
                         String(model.shape.vocab), "1000", String(repeats)]
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONPATH"] = fileManager.currentDirectoryPath + "/.build/python"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    numpyForward = Double(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

let document = ScoresDocument(source: fixture, shape: model.shape, relations: figureScores)
let figure = try Figure(panels: ["name_copying", "country_to_capital"].map {
    var spec = PanelSpec(relation: $0)
    spec.markers = try MarkerSet.load(file: "reports/markers/gpt2-medium-\($0 == "name_copying" ? "mover" : "capital")-heads.yaml")
    return try spec.panel(from: document, modelName: "GPT-2 medium")
})
_ = try measure("render: 2-panel figure, PNG + PDF") { (try figure.pngData(), try figure.pdfData()) }

let workspace = NSTemporaryDirectory() + "headmaps-bench-\(getpid())"
try fileManager.createDirectory(atPath: workspace, withIntermediateDirectories: true)
let specPath = workspace + "/bench.yaml"
try """
title: "Benchmark: GPT-2-medium-shaped planted checkpoint"
model: \(URL(fileURLWithPath: fixture).standardizedFileURL.path)
model_name: GPT-2 medium
relations: [name_copying, country_to_capital]
figures:
  - name: figure
    panels:
      - relation: name_copying
        markers: \(fileManager.currentDirectoryPath)/reports/markers/gpt2-medium-mover-heads.yaml
      - relation: country_to_capital
        markers: \(fileManager.currentDirectoryPath)/reports/markers/gpt2-medium-capital-heads.yaml
""".write(toFile: specPath, atomically: true, encoding: .utf8)
// The whole command, in a process of its own: its wall time and peak memory
// are what a user sees (this process already holds one mapping of the model).
let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("headmaps").path
if fileManager.isExecutableFile(atPath: executable) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["report", specPath, "--out", workspace + "/report", "--quiet"]
    let clock = ContinuousClock(), start = clock.now
    try process.run()
    process.waitUntilExit()
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    phases.append(Phase(name: "headmaps report, end to end (2 rel.)", seconds: (clock.now - start).seconds, gflop: nil,
                        peakMB: Double(usage.ru_maxrss) / 1024, note: process.terminationStatus == 0 ? "" : "FAILED"))
    FileHandle.standardError.write(Data(("  " + phases.last!.name.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%8.2f s\n", phases.last!.seconds)).utf8))
} else {
    FileHandle.standardError.write(Data("(no headmaps executable beside headmaps-bench: build it to time the whole report)\n".utf8))
}

// MARK: Naive baseline

struct Naive { let seconds: Double; let layers: Int; let agrees: Bool }
func naive(_ relations: [TokenizedRelation], fast: [RelationScores], layers: Int) throws -> Naive {
    let sample = try SampledModel(model, layers: layers)
    let clock = ContinuousClock(), start = clock.now
    let reference = try ReferenceScorer(model: sample).score(relations)
    let seconds = (clock.now - start).seconds
    var agrees = true
    for (r, f) in zip(reference, fast) where !f.skipped {
        for l in 0..<layers where r.hits[l] != f.hits[l] || r.suppressionHits[l] != f.suppressionHits[l] { agrees = false }
    }
    return Naive(seconds: seconds * Double(model.shape.layers) / Double(layers), layers: layers, agrees: agrees)
}

/// The first `layers` layers of a model, for a naive baseline timed on a sample.
func SampledModel(_ m: TransformerWeights, layers: Int) throws -> TransformerWeights {
    TransformerWeights(architecture: m.architecture,
                       shape: ModelShape(layers: min(layers, m.shape.layers), heads: m.shape.heads, dModel: m.shape.dModel, vocab: m.shape.vocab),
                       embedding: m.embedding, unembedding: m.unembedding, firstMLP: m.firstMLP,
                       attentionOV: { try m.heads(ofLayer: $0) })
}

var naiveFigure: Naive?, naiveAll: Naive?
if !skipNaive {
    FileHandle.standardError.write(Data("naive baseline (the paper's way) on \(naiveLayersFigure) layers, 2 relations…\n".utf8))
    BLAS.setThreads(cores)
    naiveFigure = try naive(figureRelations, fast: figureScores, layers: naiveLayersFigure)
    FileHandle.standardError.write(Data("naive baseline on \(naiveLayersAll) layers, 20 relations…\n".utf8))
    naiveAll = try naive(allRelations, fast: allScores, layers: naiveLayersAll)
    BLAS.useSingleThread()
}

// MARK: Report

print("headmaps-bench: GPT-2-medium-shaped planted checkpoint (\(model.shape.layers)×\(model.shape.heads) heads, d_model \(model.shape.dModel), vocabulary \(model.shape.vocab), \(String(format: "%.2f", fileBytes / 1e9)) GB on disk)")
print("machine: \(cores) cores; \(BLAS.configuration.trimmingCharacters(in: .whitespaces))")
print("")
print("phase (scoring: best of \(repeats) runs)       wall s   GFLOP   GFLOP/s   peak RSS MB")
for p in phases {
    let gflop = p.gflop.map { String(format: "%7.1f", $0) } ?? "      -"
    let rate = p.gflop.map { String(format: "%9.1f", $0 / p.seconds) } ?? "        -"
    print(p.name.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: " %8.2f %@ %@ %13.0f %@", p.seconds, gflop, rate, p.peakMB, p.note as NSString))
}
print("")
print(String(format: "OpenBLAS sgemm: %.1f GFLOP/s on 1 thread (2048²), %.1f GFLOP/s on %d threads (4096²)", sgemm1, sgemmAll, cores))
for (label, stats) in [("2 figure relations", figureStats), ("all 20 relations", allStats)] {
    let perThread = stats.flops / stats.denseSeconds / 1e9
    print(String(format: "dense part, %@: %.1f GFLOP/s per thread inside BLAS = %.0f%% of 1-thread sgemm; %.1f GFLOP/s over the scoring wall time = %.0f%% of %d-thread sgemm",
                 label as NSString, perThread, 100 * perThread / sgemm1, stats.flops / stats.scoringSeconds / 1e9,
                 100 * stats.flops / stats.scoringSeconds / 1e9 / sgemmAll, cores))
}
let total = allStats.headCount * allStats.rowsPerHead
let histogram = allStats.decidedAfterBlocks.enumerated().filter { $0.element > 0 }
    .map { "\($0.offset + 1): \($0.element)" }.joined(separator: ", ")
print(String(format: "early decisions (all 20 relations): %d (head, row) pairs in %d vocabulary blocks; %.1f%% decided after the first block, %.2f%% needed the whole vocabulary",
             total, allStats.blockCount, 100 * Double(allStats.decidedAfterBlocks.first ?? 0) / Double(total), 100 * Double(allStats.undecided) / Double(total)))
print("  decided after b blocks: \(histogram); never decided: \(allStats.undecided)")
let figureScoring = phases.first { $0.name.hasPrefix("score: 2") }!.seconds
let allScoring = phases.first { $0.name.hasPrefix("score: all") }!.seconds
if let n = naiveFigure {
    print(String(format: "naive baseline, 2 figure relations: %.1f s%@ → speed-up %.1f×; scores %@",
                 n.seconds, n.layers < model.shape.layers ? " (extrapolated from \(n.layers) layers)" as NSString : "", n.seconds / figureScoring,
                 n.agrees ? "identical" : "DIFFER"))
}
if let n = naiveAll {
    print(String(format: "naive baseline, all 20 relations: %.1f s%@ → speed-up %.1f×; scores on the sampled layers %@",
                 n.seconds, n.layers < model.shape.layers ? " (extrapolated from \(n.layers) layers)" as NSString : "", n.seconds / allScoring,
                 n.agrees ? "identical" : "DIFFER"))
}
if let numpyForward, let ours = phases.first(where: { $0.name.hasPrefix("forward:") })?.seconds {
    print(String(format: "forward pass, 100 × 10 tokens: %.2f s; numpy's same matrix products: %.2f s → %.1f× numpy", ours, numpyForward, ours / numpyForward))
}
print(String(format: "peak RSS of any phase: %.0f MB; checkpoint file: %.0f MB", phases.map(\.peakMB).max() ?? 0, fileBytes / 1e6))
try? fileManager.removeItem(atPath: workspace)
