// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: CLI → Report → Analysis / Plot → Checkpoint, Tokenizer, LinearAlgebra.
let package = Package(
    name: "HeadMaps",
    products: [
        .executable(name: "headmaps", targets: ["HeadMapsCLI"]),
        .executable(name: "headmaps-bench", targets: ["HeadMapsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "pangocairo",
                       providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),
        // Reading inputs and writing outputs safely, for every other module.
        .target(name: "Core"),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS"]),
        .target(name: "Checkpoint", dependencies: ["Core", "LinearAlgebra", "Tokenizer", "CSignalGuard"]),
        // Turns a SIGBUS from a checkpoint truncated under its mapping into an error.
        .target(name: "CSignalGuard"),
        .target(name: "Tokenizer", dependencies: ["Core"]),
        .target(name: "Analysis", dependencies: ["Core", "Checkpoint", "Tokenizer", "LinearAlgebra"],
                resources: [.copy("Relations")]),
        // Running the model: the forward pass and the experiments' hooks.
        .target(name: "ForwardPass", dependencies: ["Core", "Checkpoint", "LinearAlgebra"]),
        // The paper's experiments that run the model: dynamic scores and ablations.
        .target(name: "Experiments", dependencies: ["Core", "Analysis", "Checkpoint", "ForwardPass", "LinearAlgebra", "Tokenizer"]),
        .target(name: "PlantedModels", dependencies: ["Core", "Checkpoint", "Tokenizer", "Analysis"]),
        .target(name: "Plot", dependencies: ["Core", "CCairo"]),
        .target(name: "Report", dependencies: [
            "Core", "Analysis", "Checkpoint", "Experiments", "Plot", "LinearAlgebra", "Yams",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Sweeps: every revision of every model, one shard each, here or as Slurm job arrays, merged into one study.
        .target(name: "Sweep", dependencies: [
            "Core", "Analysis", "Checkpoint", "Plot", "Report", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "HeadMapsCLI", dependencies: [
            "Core", "LinearAlgebra", "Analysis", "Checkpoint", "Experiments", "ForwardPass", "Tokenizer", "PlantedModels", "Plot", "Report", "Sweep",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "HeadMapsBench", dependencies: [
            "Analysis", "Checkpoint", "Experiments", "ForwardPass", "LinearAlgebra", "PlantedModels", "Plot", "Report", "Tokenizer",
        ]),
        // libFuzzer targets (scripts/fuzz builds them with -sanitize=fuzzer -DFUZZING);
        // a plain build replays inputs through the same targets.
        .executableTarget(name: "HeadMapsFuzz", dependencies: ["Core", "Analysis", "Checkpoint", "Experiments", "Tokenizer", "Report", "Plot", "Sweep"]),
        // Tests: one target per module, sharing fixtures and helpers from Tests/Support.
        .target(name: "HeadMapsTestSupport", dependencies: ["Analysis", "Checkpoint", "LinearAlgebra", "PlantedModels", "Plot", "Tokenizer"],
                path: "Tests/Support"),
        .testTarget(name: "CheckpointTests", dependencies: ["HeadMapsTestSupport", "Checkpoint", "Analysis", "Tokenizer"]),
        .testTarget(name: "TokenizerTests", dependencies: ["HeadMapsTestSupport", "Tokenizer"]),
        .testTarget(name: "AnalysisTests", dependencies: ["HeadMapsTestSupport", "Core", "Analysis", "Checkpoint", "LinearAlgebra", "PlantedModels", "Plot", "Report"]),
        .testTarget(name: "PlotTests", dependencies: ["HeadMapsTestSupport", "Core", "Plot", "Analysis", "Report", "Checkpoint"]),
        .testTarget(name: "ReportTests", dependencies: ["HeadMapsTestSupport", "Core", "Report", "Analysis", "Plot", "Checkpoint"]),
        .testTarget(name: "ForwardPassTests", dependencies: ["HeadMapsTestSupport", "Core", "ForwardPass", "Experiments", "Analysis", "Checkpoint", "LinearAlgebra", "PlantedModels"]),
        .testTarget(name: "CLITests", dependencies: ["HeadMapsTestSupport", "Analysis", "Checkpoint", "Plot", "Report"]),
        .testTarget(name: "SweepTests", dependencies: ["HeadMapsTestSupport", "Core", "Analysis", "Checkpoint", "PlantedModels", "Sweep"]),
    ],
    swiftLanguageModes: [.v6]
)
