import Analysis
import Checkpoint
import Foundation

/// The products `head all` needs on `model`, in FLOP: the vocabulary's
/// sources through block 0's MLP (where a layer reads it), and for each
/// layer every source token's `x·W_V` for each KV head, each head's screen
/// `(x·W_V)·L` where heads share a KV head (under multi-head attention `L`
/// is folded into `W_V`, free), and each of its operations' logits over the vocabulary.
struct SalientFloor {
    let sources: Double
    let heads: Double
    /// One token through block 0's MLP.
    let sourcesPerToken: Double

    init(model: TransformerWeights, count: Int = SalientOperations.defaultCount) {
        let shape = model.shape
        let vocab = Double(shape.vocab)
        let d = Double(shape.dModel)
        let dh = Double(shape.dHead)
        if let mlp = model.firstMLP.dense {
            sourcesPerToken = 2 * d * Double(mlp.inWeight.cols) * (mlp.upWeight == nil ? 2 : 3)
        } else {
            sourcesPerToken = 0
        }
        sources = vocab * sourcesPerToken
        let screen = shape.kvHeads < shape.heads ? Double(shape.heads) * 2 * vocab * dh * dh : 0
        let perLayer = 2 * vocab * d * Double(shape.kvHeads) * dh + screen + Double(shape.heads * count) * 2 * d * vocab
        heads = Double(shape.layers) * perLayer
    }
}

/// Times every head's salient operations (and the vocabulary's sources
/// before them) and returns two lines to print: their time, and that of
/// `head all`'s whole computation with the scoring, each against the time
/// its products take at the sgemm and dgemm peaks measured in this run.
@MainActor func measureSalientOperations(
    model: TransformerWeights, scoring: ScoringStatistics, scoringSeconds: Double, sgemm: Double, dgemm: Double,
    cores: Int
) throws -> [String] {
    let floor = SalientFloor(model: model)
    let heads = model.shape.layers * model.shape.heads
    let sources = try measure("salient: vocabulary sources (MLP0)", gflop: { _ in floor.sources / 1e9 }) {
        try VocabularySources(model: model)
    }
    let sourcesSeconds = phases.last!.seconds
    let salient = try measure("salient: all \(heads) heads", gflop: { _ in floor.heads / 1e9 }) {
        try SalientOperations.everyHead(model: model, sources: sources)
    }
    precondition(salient.count == heads)
    let salientSeconds = phases.last!.seconds
    let total = scoringSeconds + sourcesSeconds + salientSeconds
    let totalFLOP = scoring.flops + floor.sources + floor.heads
    // The values a person reads are computed in double (`ExactValues`): at
    // least each operation's source through block 0's MLP, once per token.
    let exactRows = Set(
        salient.filter { sources.rule.readsMLP(layer: $0.layer) }.flatMap { $0.operations.map(\.tokenID) }
    ).count
    let exactFLOP = Double(exactRows) * floor.sourcesPerToken
    let floorSeconds = floor.heads / sgemm / 1e9 + exactFLOP / dgemm / 1e9
    let totalFloorSeconds = floorSeconds + (scoring.flops + floor.sources) / sgemm / 1e9
    return [
        String(
            format: "salient operations of all %d heads: %.2f s; their products (%.2f TFLOP: every token's x·W_V "
                + "and its screen, %d operations' logits a head; and in double %.0f GFLOP: the %d operations' "
                + "sources through block 0's MLP) at %d-thread sgemm and dgemm: %.2f s → %.2f× the floor",
            heads, salientSeconds, floor.heads / 1e12, SalientOperations.defaultCount, exactFLOP / 1e9, exactRows,
            cores, floorSeconds, salientSeconds / floorSeconds),
        String(
            format: "head all's computation (scoring 20 relations %.2f s + the vocabulary's sources %.2f s + salient "
                + "operations): %.2f s; its products (%.2f TFLOP, and the operations' sources in double) at %d-thread "
                + "sgemm and dgemm: %.2f s → %.2f× the floor",
            scoringSeconds, sourcesSeconds, total, totalFLOP / 1e12, cores, totalFloorSeconds,
            total / totalFloorSeconds),
    ]
}

/// The wall time of `headmaps head all` on `fixture`, run beside this
/// executable in a process of its own (nil where it is not built).
func timeHeadAll(_ fixture: String) -> Double? {
    guard let executable = headmapsExecutable() else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["head", "all", "--model", fixture, "--quiet"]
    process.standardOutput = FileHandle.nullDevice
    let clock = ContinuousClock()
    let start = clock.now
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus == 0 ? (clock.now - start).seconds : nil
}

/// The `headmaps` executable built beside this one, if it is there.
func headmapsExecutable() -> String? {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("headmaps").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}
