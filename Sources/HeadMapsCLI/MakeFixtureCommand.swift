import ArgumentParser
import Checkpoint
import Core
import Foundation
import PlantedModels

struct MakeFixtureCommand: ParsableCommand {
    /// Every preset shape with its size, for the help text.
    private static let shapes = PlantedCheckpoint.Shape.presets.map {
        let vocabulary = $0.vocabSize.map(String.init) ?? "compact"
        return "\($0.name) (\($0.layers)×\($0.heads), d_model \($0.dModel), vocab \(vocabulary))"
    }.joined(separator: ", ")

    static let configuration = CommandConfiguration(
        commandName: "make-fixture",
        abstract:
            "Write a checkpoint with planted heads whose scores are known, in any supported family's Hugging Face "
            + "layout.",
        discussion: """
            Shapes: \(shapes). \
            The directory gets config.json, the weights, the tokenizer and planted.json (the planted heads and \
            the scores they must get). Every family gets a tokenizer.json (gpt2 also vocab.json + merges.txt), \
            in their real tensor names: neox (fused per-head QKV, untied embed_out, padded rows), phi (untied \
            lm_head with bias), llama (BF16, two shards with an index, grouped-query attention, gated MLP), \
            qwen2 (q/k/v biases, tied), gemma2 (head_dim wider than d_model/heads, (1 + w) RMSNorm, scaled \
            embedding). Same seed, same bytes.
            """)

    @Option(
        name: .long,
        help: """
            tiny, demo (GPT-2 medium grid), gpt2-grid (GPT-2 small grid); full size: gpt2, gpt2-medium, \
            gpt2-medium-hard (a fifth of the heads planted: the benchmark's hard case), gpt2-xl (6.4 GB in F32), \
            llama-3.1-8b (with --arch llama: 32 × 32 heads, 8 KV heads, vocabulary 128,256; 16 GB in BF16).
            """)
    var shape: String = "tiny"

    @Option(
        name: .long, help: "Family layout: \(FixtureArchitecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: String = "gpt2"

    @Option(name: .long, help: "Seed for the random weights.")
    var seed: UInt64 = 0

    @Option(
        name: .long,
        help: "Storage dtype: F32, F16 or BF16 (the values are identical in all three). llama is always BF16.")
    var dtype: String = "F32"

    @Flag(
        name: .long,
        help:
            ArgumentHelp(
                "Also right when run (gpt2 only): planted heads copy and map in a forward pass, for the experiments "
                    + "(dynamic, ablate).")
    )
    var runnable = false

    @Option(
        name: .long,
        help: """
            Write N training revisions instead, as a Hugging Face cache in --out (use it as HF_HUB_CACHE): \
            branches step0, step1000, … of headmaps/planted-<shape>; revision k plants the first round(k·n/(N−1)) \
            of the n planted heads (the rest are random), so heads appear from revision to revision. \
            refs/main is the last.
            """)
    var revisions: Int?

    @Option(name: .long, help: "Output directory.")
    var out: String

    @Flag(name: .long, help: "No progress output (this command writes none; accepted as by every command).")
    var quiet = false

    func run() throws {
        try reportingErrors {
            guard let preset = PlantedCheckpoint.Shape.preset(shape) else {
                throw CLIError(
                    "unknown shape '\(shape)'; "
                        + "known: \(PlantedCheckpoint.Shape.presets.map(\.name).joined(separator: ", "))"
                )
            }
            guard let type = DType(rawValue: dtype.uppercased()), type.isWeightType else {
                throw CLIError("--dtype must be F32, F16 or BF16, not '\(dtype)'")
            }
            guard let architecture = FixtureArchitecture(rawValue: arch) else {
                throw CLIError(
                    "unknown --arch '\(arch)'; "
                        + "known: \(FixtureArchitecture.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            guard !runnable || architecture == .gpt2 else {
                throw CLIError(
                    "--runnable is for --arch gpt2 (the planted heads are made to work through learned positions)")
            }
            try checkOut()
            let fixture = FamilyFixture(
                PlantedCheckpoint(shape: preset, seed: seed, dtype: type, runnable: runnable),
                architecture: architecture)
            if let revisions {
                guard (2...1000).contains(revisions) else {
                    throw CLIError("--revisions must be from 2 to 1000, not \(revisions)")
                }
                let training = TrainingRevisions(fixture: fixture, count: revisions)
                let written = try training.write(hub: out)
                let counts = written.map { "\($0.revision): \($0.planted.count)" }.joined(separator: ", ")
                print(
                    "wrote \(out): \(training.repository), \(preset.layers)×\(preset.heads) heads; "
                        + "planted heads per revision: \(counts)"
                )
                return
            }
            let planted = try fixture.write(to: out)
            print("wrote \(out): \(preset.layers)×\(preset.heads) heads, \(planted.count) planted")
        }
    }

    /// The fixture goes into a new or empty folder, or replaces an earlier
    /// fixture (its planted.json; for --revisions, an earlier cache of
    /// planted revisions): never into a folder of something else.
    func checkOut() throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: out) else {
            if let st = FileType.status(out) {
                throw CLIError("\(out): is \(FileType.describe(mode: st.st_mode)); --out must be a folder")
            }
            return
        }
        let earlier =
            revisions == nil
            ? entries.contains("planted.json")
            : entries.allSatisfy { $0.hasPrefix("models--headmaps--planted-") }
        guard entries.isEmpty || earlier else {
            throw CLIError(
                "\(out): holds \(entries.count) entries and is not an earlier fixture; "
                    + "give --out a new or empty folder (nothing was written)"
            )
        }
    }
}
