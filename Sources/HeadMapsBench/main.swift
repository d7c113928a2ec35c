import Analysis
import Checkpoint
import Experiments
import ForwardPass
import Foundation
import LinearAlgebra
import PlantedModels
import Plot
import Report
import Tokenizer

// headmaps-bench: the speed of the analysis, on planted checkpoints of real shapes.
//
//   swift run -c release headmaps-bench [--fixtures easy,hard,xl,llama,smollm2 | all] [--quick]
//                                      [--repeats N] [--naive-layers N] [--naive-layers-all N] [--skip-naive]
//                                      [--forward-only | --ablation-only | --salient-only]
//
// Fixtures (built once under .build/headmaps-bench/, never committed):
//   easy   GPT-2-medium-shaped, a dozen planted heads (1.4 GB): every phase of a report;
//   hard   the same shape with a fifth of the heads planted, so ranking them needs the
//          whole vocabulary: the 2 figure relations, against the dense products those
//          heads need and against the naive computation;
//   xl     GPT-2-xl-shaped (48 × 25, d 1600; 6.4 GB F32): all 20 relations;
//   llama  Llama-3.1-8B-shaped (32 × 32 heads, 8 KV heads, d 4096, vocabulary 128,256,
//          BF16 in 4 shards; 16 GB): all 20 relations, peak memory against the checkpoint;
//   smollm2  the real SmolLM2-135M-Instruct from its GGUF file (Q4_1), fetched by the test
//          command: opening, all 20 relations, peak memory.
// For each: wall time per phase, peak resident memory, GFLOP/s against OpenBLAS's own
// sgemm measured in the same run, the distribution of decision blocks, how many heads
// took the dense route, and the naive computation (the paper's way) timed on a sample of
// layers and extrapolated, with the speed-up and whether every score on those layers agrees.
// --quick: easy and hard, one run each, no naive baseline on easy, no all-heads salient
// operations and no whole ablation sweep (under two minutes once the fixtures exist).
// --forward-only, --ablation-only, --salient-only: that phase of the easy fixture alone
// (for a profiler; --salient-only also times `headmaps head all` against its floor).

let arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
if arguments.contains("--help") {
    print(
        "usage: headmaps-bench [--fixtures easy,hard,xl,llama,smollm2 | all] [--quick] [--repeats N] [--naive-layers "
            + "N] [--naive-layers-all N] [--skip-naive] [--forward-only | --ablation-only | --salient-only]"
    )
    exit(0)
}
let quick = arguments.contains("--quick")
var salientSummary: [String] = []
let fixtureKeys = Set(
    (option("--fixtures") ?? "easy,hard").split(separator: ",").map(String.init).flatMap {
        $0 == "all" ? ["easy", "hard", "xl", "llama"] : [$0]
    })
let naiveLayersFigure = Int(option("--naive-layers") ?? "24")!
let naiveLayersAll = Int(option("--naive-layers-all") ?? "2")!
let repeats = Int(option("--repeats") ?? (quick ? "1" : "3"))!
let skipNaive = arguments.contains("--skip-naive")

log("measuring…")
let sgemm1 = sgemmGFLOPs(size: 2048, threads: 1)
let cores = ProcessInfo.processInfo.activeProcessorCount
let sgemmAll = sgemmGFLOPs(size: 4096, threads: cores)
let dgemmAll = dgemmGFLOPs(size: 2048, threads: cores)
BLAS.useSingleThread()

// MARK: Scoring on the hard and large fixtures (first, each in a scope of its
// own, so that each one's peak memory is its own).

let suites: [BenchFixture] = [
    .planted(
        "llama", title: "Llama-3.1-8B-shaped planted checkpoint", shape: "llama-3.1-8b", arch: .llama,
        allRelations: true, naiveLayers: 1),
    .planted("xl", title: "GPT-2-xl-shaped planted checkpoint", shape: "gpt2-xl", allRelations: true, naiveLayers: 1),
    .planted(
        "hard", title: "GPT-2-medium-shaped, a fifth of the heads planted", shape: "gpt2-medium-hard",
        allRelations: false, naiveLayers: quick ? 1 : 2),
].filter { fixtureKeys.contains($0.key) }
var scoringResults: [ScoringResult] = []
for suite in suites {
    log("\(suite.key): \(suite.title)")
    scoringResults.append(
        try runScoringSuite(suite, repeats: suite.key == "hard" ? repeats : 1, naive: !skipNaive, threads: cores))
}
for result in scoringResults { printScoringResult(result, sgemmAll: sgemmAll) }

// MARK: A real trained model from its GGUF file (fetched by scripts/install-deps --tests)

if fixtureKeys.contains("smollm2") {
    let file = ".build/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    guard FileManager.default.fileExists(atPath: file) else {
        log("smollm2: \(file) is missing; scripts/install-deps --tests fetches it")
        exit(2)
    }
    resetPeak()
    let loaded = try measure("smollm2: open the GGUF file (Q4_1, dequantized per layer)") {
        try Architectures.open(modelDirectory: file)
    }
    let relations = try BuiltinRelations.loadAll().map {
        TokenizedRelation(
            $0, tokenizer: loaded.tokenizer, defaults: loaded.weights.defaultK, rows: loaded.weights.shape.vocab)
    }
    _ = try measure("smollm2: score all 20 relations (270 heads)", repeats: repeats, gflop: { $0.1.flops / 1e9 }) {
        try RelationScorer(model: loaded.weights).score(relations)
    }
    let fileBytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.doubleValue ?? 0
    print(String(format: "smollm2: peak resident memory %.0f MB (file %.0f MB)", peakResidentMB(), fileBytes / 1e6))
}
guard fixtureKeys.contains("easy") else { exit(0) }
print("")

// MARK: The easy fixture: every phase of a report

let easy = BenchFixture.planted(
    "easy", title: "GPT-2-medium-shaped planted checkpoint", shape: "gpt2-medium", allRelations: true, naiveLayers: 0)
try easy.ensureBuilt()
let fixture = easy.directory
let fileBytes = checkpointBytes(fixture)
let fileManager = FileManager.default

// MARK: Phases

let (model, tokenizer) = try measure("open (mmap, config, MLP0, BPE)") { () -> (TransformerWeights, ByteLevelBPE) in
    let (_, m) = try Architectures.load(modelDirectory: fixture)
    return (m, try ByteLevelBPE(directory: fixture))
}
// --forward-only: the forward pass alone (for a profiler), then stop.
if arguments.contains("--forward-only") {
    let decoder = try Architectures.openDecoder(modelDirectory: fixture).0
    let batch = (0..<100).map { p in (0..<10).map { (p * 31 + $0 * 7) % model.shape.vocab } }
    let forward = ForwardPass(weights: decoder)
    _ = try forward.run(batch)
    _ = try measure("forward: 100 prompts × 10 tokens", repeats: repeats) { try forward.run(batch) }
    exit(0)
}
// --salient-only: `head all`'s computation alone (scoring, the vocabulary's
// sources, every head's salient operations), against its floor, then stop.
if arguments.contains("--salient-only") {
    let relations = try BuiltinRelations.loadAll().map { TokenizedRelation($0, tokenizer: tokenizer) }
    let (_, stats) = try measure("score: all 20 relations", gflop: { $0.1.flops / 1e9 }) {
        try RelationScorer(model: model).score(relations)
    }
    let lines = try measureSalientOperations(
        model: model, scoring: stats, scoringSeconds: phases.last!.seconds, sgemm: sgemmAll, dgemm: dgemmAll,
        cores: cores)
    let command = timeHeadAll(fixture)
    lines.forEach { print($0) }
    if let command { print(String(format: "headmaps head all, end to end: %.2f s", command)) }
    exit(0)
}
let figureRelations = try ["name_copying", "country_to_capital"].map {
    TokenizedRelation(try BuiltinRelations.load($0), tokenizer: tokenizer)
}
let allRelations = try BuiltinRelations.loadAll().map { TokenizedRelation($0, tokenizer: tokenizer) }

func scoreGFLOPs(_ stats: ScoringStatistics) -> Double? { stats.flops / 1e9 }
let (figureScores, figureStats) = try measure(
    "score: 2 figure relations", repeats: repeats, gflop: { scoreGFLOPs($0.1) }
) {
    try RelationScorer(model: model).score(figureRelations)
}
let (allScores, allStats) = try measure("score: all 20 relations", repeats: repeats, gflop: { scoreGFLOPs($0.1) }) {
    try RelationScorer(model: model).score(allRelations)
}
let sourceRows = allRelations.reduce(0) { $0 + $1.pairsKept }
_ = try measure("source representations (\(sourceRows) rows)") {
    try SourceRepresentations(model: model, tokens: allRelations.flatMap(\.sourceIds))
}

// Salient operations of every head (`head all`'s computation, the head
// cards' for all of them): the vocabulary's sources once, then one wide product per layer.
if !quick {
    salientSummary = try measureSalientOperations(
        model: model, scoring: allStats, scoringSeconds: phases.first { $0.name.hasPrefix("score: all") }!.seconds,
        sgemm: sgemmAll, dgemm: dgemmAll, cores: cores)
}

// The forward pass (issue 16): 100 prompts of 10 tokens, against numpy doing
// the same matrix products on this machine.
let decoder = try Architectures.openDecoder(modelDirectory: fixture).0
let promptBatch = (0..<100).map { p in (0..<10).map { (p * 31 + $0 * 7) % model.shape.vocab } }
// Warm, as numpy and torch are timed: the blocks read once, then the pass timed.
let warmForward = ForwardPass(weights: decoder)
_ = try warmForward.run(promptBatch)
_ = try measure("forward: 100 prompts × 10 tokens", repeats: repeats) { try warmForward.run(promptBatch) }
// Its matrix products: every block's four (or five) linear maps over 1000 rows, and the last rows' logits.
let forwardFLOP =
    2.0 * 1000 * Double(model.shape.layers) * 12 * Double(model.shape.dModel * model.shape.dModel)
    + 2.0 * 100 * Double(model.shape.dModel * model.shape.vocab)
// The paper's experiments (issue 16), on the same fixture: experiment 1 for
// the two figure relations and their four templates; a short ablation sweep
// (8 heads, one random draw, 100 prompts: 16 last-position passes).
if !quick {
    _ = try measure("experiment 1: 2 relations × 4 templates") {
        try zip(figureRelations, figureScores).map { relation, statics in
            try DynamicScores.run(
                relation: relation, statics: statics, model: model, decoder: decoder, tokenizer: tokenizer)
        }
    }
    _ = try measure("experiment 2: ablate 8 heads, 1 random draw") {
        try Ablation.run(
            relation: figureRelations[1], statics: figureScores[1], decoder: decoder, tokenizer: tokenizer,
            template: Ablation.paperTemplates["country_to_capital"]!, maximumHeads: 8, randomDraws: 1)
    }
}
// The paper's whole sweep: 150 heads, 5 random draws and a control task. The
// planted fixture gives few heads a positive score at k = 10; ranked at
// k = 2000, every head has one, so the sweep ablates its full 150.
if !quick || arguments.contains("--ablation-only") {
    let wide = TokenizedRelation(try BuiltinRelations.load("country_to_capital"), tokenizer: tokenizer, k: 2000)
    let wideScores = try RelationScorer(model: model).score([wide]).0[0]
    let sweep = try measure("experiment 2: the paper's sweep (150 heads, 5 draws, control)") {
        try Ablation.run(
            relation: figureRelations[1], statics: wideScores, decoder: decoder, tokenizer: tokenizer,
            template: Ablation.paperTemplates["country_to_capital"]!, maximumHeads: 150, randomDraws: 5,
            control: (figureRelations[0], Ablation.paperTemplates["name_copying"]!))
    }
    let steps = (sweep.top.heads.count + 1) * (2 + sweep.random.count)
    log("  \(sweep.top.heads.count) heads, \(sweep.prompts) prompts, \(steps) steps")
    // Its floor: each step recomputes the layers from its added head's up (below, the step
    // before's residual is exact), and every step's logits.
    let shape = model.shape
    let controlPrompts = Ablation.Task(
        relation: figureRelations[0], template: Ablation.paperTemplates["name_copying"]!, tokenizer: tokenizer
    ).prompts
    let curves =
        [(sweep.top.heads, sweep.prompts)] + sweep.random.map { ($0.heads, sweep.prompts) }
        + [(sweep.top.heads, controlPrompts)]
    let perLayerRow = 2.0 * 12 * Double(shape.dModel * shape.dModel)
    let perLogitRow = 2.0 * Double(shape.dModel * shape.vocab)
    let layerFLOP = curves.reduce(0.0) { total, curve in
        total + Double(curve.1) * Double(curve.0.reduce(0) { $0 + shape.layers - $1.layer }) * perLayerRow
    }
    let logitFLOP = curves.reduce(0.0) { $0 + Double($1.1) * Double($1.0.count + 1) * perLogitRow }
    let sweepFLOP = layerFLOP + logitFLOP
    print(
        String(
            format: "the paper's ablation sweep: %.1f TFLOP (each step's layers from its new head up, and its logits): "
                + "%.0f s at %d-thread sgemm; the layers alone (the argmax bound decides most rows without their "
                + "logits): %.1f TFLOP, %.0f s", sweepFLOP / 1e12, sweepFLOP / sgemmAll / 1e9, cores, layerFLOP / 1e12,
            layerFLOP / sgemmAll / 1e9))
    if arguments.contains("--ablation-only") { exit(0) }
}
/// The best time a Python script prints (nil where it cannot run: numpy or torch missing).
func pythonSeconds(_ python: String, _ arguments: [String], pythonPath: String? = nil) -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python] + arguments
    var environment = ProcessInfo.processInfo.environment
    if let pythonPath { environment["PYTHONPATH"] = pythonPath }
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}
let numpyForward = pythonSeconds(
    "python3",
    [
        "Tests/crosscheck/forward_products_numpy.py", String(model.shape.layers), String(model.shape.dModel),
        String(model.shape.vocab), "1000", String(repeats),
    ], pythonPath: fileManager.currentDirectoryPath + "/.build/python")
// What users would run instead: transformers on torch (CPU), where a Python
// with both is given (HEADMAPS_TORCH_PYTHON) or python3 has them.
let torchForward = pythonSeconds(
    ProcessInfo.processInfo.environment["HEADMAPS_TORCH_PYTHON"] ?? "python3",
    ["Tests/crosscheck/forward_torch.py", fixture, "100", "10", String(model.shape.vocab), String(max(2, repeats))])

let document = ScoresDocument(source: fixture, shape: model.shape, relations: figureScores)
let figure = try Figure(
    panels: ["name_copying", "country_to_capital"].map {
        var spec = PanelSpec(relation: $0)
        spec.markers = try MarkerSet.load(
            file: "reports/markers/gpt2-medium-\($0 == "name_copying" ? "mover" : "capital")-heads.yaml")
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
if let executable = headmapsExecutable() {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["report", specPath, "--out", workspace + "/report", "--quiet"]
    let clock = ContinuousClock()
    let start = clock.now
    try process.run()
    process.waitUntilExit()
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    record(
        Phase(
            name: "headmaps report, end to end (2 rel.)", seconds: (clock.now - start).seconds, gflop: nil,
            peakMB: Double(usage.ru_maxrss) / 1024, note: process.terminationStatus == 0 ? "" : "FAILED"))
} else {
    FileHandle.standardError.write(
        Data("(no headmaps executable beside headmaps-bench: build it to time the whole report)\n".utf8))
}

// MARK: Naive baseline

var naiveFigure: NaiveBaseline?
var naiveAll: NaiveBaseline?
if !skipNaive && !quick {
    log("naive baseline (the paper's way) on \(naiveLayersFigure) layers, 2 relations…")
    naiveFigure = try naiveBaseline(
        model: model, relations: figureRelations, fast: figureScores, layers: naiveLayersFigure, threads: cores)
    log("naive baseline on \(naiveLayersAll) layers, 20 relations…")
    naiveAll = try naiveBaseline(
        model: model, relations: allRelations, fast: allScores, layers: naiveLayersAll, threads: cores)
}

// MARK: Report

print(
    "headmaps-bench: GPT-2-medium-shaped planted checkpoint (\(model.shape.layers)×\(model.shape.heads) heads, "
        + "d_model \(model.shape.dModel), vocabulary \(model.shape.vocab), \(String(format: "%.2f", fileBytes / 1e9)) "
        + "GB on disk)"
)
print("machine: \(cores) cores; \(BLAS.configuration.trimmingCharacters(in: .whitespaces))")
print("")
print("phase (scoring: best of \(repeats) runs)             wall s   GFLOP   GFLOP/s   peak RSS MB")
for p in phases {
    let gflop = p.gflop.map { String(format: "%7.1f", $0) } ?? "      -"
    let rate = p.gflop.map { String(format: "%9.1f", $0 / p.seconds) } ?? "        -"
    print(
        p.name.padding(toLength: 44, withPad: " ", startingAt: 0)
            + String(format: " %8.2f %@ %@ %13.0f %@", p.seconds, gflop, rate, p.peakMB, p.note as NSString))
}
print("")
print(
    String(
        format: "OpenBLAS sgemm: %.1f GFLOP/s on 1 thread (2048²), %.1f GFLOP/s on %d threads (4096²); dgemm: %.1f "
            + "GFLOP/s on %d threads (2048²)", sgemm1, sgemmAll, cores, dgemmAll, cores))
for (label, stats) in [("2 figure relations", figureStats), ("all 20 relations", allStats)] {
    let perThread = stats.flops / stats.denseSeconds / 1e9
    print(
        String(
            format:
                "dense part, %@: %.1f GFLOP/s per thread inside BLAS = %.0f%% of 1-thread sgemm; %.1f GFLOP/s over "
                + "the scoring wall time = %.0f%% of %d-thread sgemm",
            label as NSString, perThread, 100 * perThread / sgemm1, stats.flops / stats.scoringSeconds / 1e9,
            100 * stats.flops / stats.scoringSeconds / 1e9 / sgemmAll, cores))
}
print("early decisions (all 20 relations): " + decisionSummary(allStats))
print(
    "dense route: \(allStats.denseHeads.count) of \(allStats.headCount) heads computed their own W_O·W_U past the "
        + "first block"
)
let figureScoring = phases.first { $0.name.hasPrefix("score: 2") }!.seconds
let allScoring = phases.first { $0.name.hasPrefix("score: all") }!.seconds
for (what, naive, ours, scores) in [
    ("2 figure relations", naiveFigure, figureScoring, "scores"),
    ("all 20 relations", naiveAll, allScoring, "scores on the sampled layers"),
] {
    guard let n = naive else { continue }
    print(
        String(
            format: "naive baseline, %@: %.1f s%@ → speed-up %.1f×; %@ %@", what as NSString,
            n.seconds, n.layers < model.shape.layers ? " (extrapolated from \(n.layers) layers)" as NSString : "",
            n.seconds / ours, scores as NSString, n.agrees ? "identical" : "DIFFER"))
}
salientSummary.forEach { print($0) }
if let ours = phases.first(where: { $0.name.hasPrefix("forward:") })?.seconds {
    let floor = forwardFLOP / sgemmAll / 1e9
    var line = String(
        format: "forward pass, 100 × 10 tokens: %.2f s (its products at %d-thread sgemm: %.2f s)", ours, cores, floor)
    if let numpyForward {
        line += String(
            format: "; numpy's same matrix products: %.2f s → %.2f× numpy", numpyForward, ours / numpyForward)
    }
    line +=
        torchForward.map { String(format: "; transformers on torch (CPU): %.2f s → %.2f× torch", $0, ours / $0) }
        ?? "; transformers on torch (CPU): not installed (HEADMAPS_TORCH_PYTHON names a Python with both)"
    print(line)
}
print(
    String(
        format: "peak RSS of any phase: %.0f MB; checkpoint file: %.0f MB", phases.map(\.peakMB).max() ?? 0,
        fileBytes / 1e6))
try? fileManager.removeItem(atPath: workspace)
