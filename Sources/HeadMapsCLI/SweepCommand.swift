import ArgumentParser
import Core
import Foundation
import Report
import Sweep

/// `headmaps sweep`: every revision of every model, one shard each, here or as Slurm job arrays.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Score every model and revision of a sweep spec, here (-j N) or as Slurm job arrays, and merge them.",
        discussion: """
            `headmaps sweep SPEC.yaml` plans the shards (one per model and revision), runs those not \
            done with the same checkpoint and settings, and merges them into sweep.json, sweep.csv \
            and report/. See docs/sweeps.md.
            """,
        subcommands: [SweepRunCommand.self, SweepPlanCommand.self, SweepStatusCommand.self, SweepMergeCommand.self],
        defaultSubcommand: SweepRunCommand.self)
}

struct SweepOptions: ParsableArguments {
    @Argument(help: "The sweep spec (YAML): models, revisions, relations, settings.")
    var spec: String

    @Option(name: .long, help: "The sweep's folder (default: the spec's out:, else beside the spec, named after it).")
    var out: String?

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    /// The command line of another `sweep` subcommand on the same spec and folder, as a user would type it.
    func command(_ subcommand: String) -> String {
        ShellWords.join(["headmaps", "sweep", subcommand, spec] + (out.map { ["--out", $0] } ?? []))
    }

    /// Merges the done shards into `sweep.json`, `sweep.csv` and `report/`, saying what it wrote.
    static func merge(_ spec: SweepSpec, _ folder: SweepFolder, partial: Bool, progress: Progress) throws {
        let merge = try SweepMerge.load(spec: spec, folder: folder, partial: partial)
        for file in try SweepReport.write(merge, to: folder) { progress.log("wrote \(folder.path)/\(file)") }
    }

    func load() throws -> (SweepSpec, SweepFolder) {
        let spec = try SweepSpec.load(file: spec)
        return (spec, SweepFolder(out ?? spec.out))
    }
}

struct SweepPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Resolve every model and revision into shards; print what each reads and costs.")

    @OptionGroup var options: SweepOptions

    func run() throws {
        try reportingErrors {
            let (spec, folder) = try options.load()
            let progress = Progress(quiet: options.quiet)
            let lock = try folder.lockWhole()
            let plan = try SweepPlan.write(spec, to: folder, version: HeadMapsVersion.string, log: progress.log)
            withExtendedLifetime(lock) {}
            print(plan.table(), terminator: "")
            progress.log("wrote \(folder.plan)")
        }
    }
}

struct SweepRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the shards not done (here, or --slurm), or one shard (--shard), then merge.")

    @OptionGroup var options: SweepOptions

    @Option(name: .long, help: "Run only this shard (what each Slurm array task runs).")
    var shard: Int?

    @Option(name: .long, help: "The plan's digest the shard was submitted with; refused if it was planned again.")
    var plan: String?

    @Option(name: .long, help: "Scoring threads per shard (default: the processors, shared among -j workers).")
    var threads: Int?

    @Option(name: [.customShort("j"), .long], help: "Shards run at once on this machine.")
    var jobs = 1

    @Flag(name: .long, help: "Submit the shards as Slurm job arrays instead of running them here.")
    var slurm = false

    @Option(
        name: .long, help: "An sbatch option passed through to every array job (repeatable), e.g. --sbatch=--qos=short."
    )
    var sbatch: [String] = []

    func validate() throws {
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let shard, shard < 0 { throw ValidationError("--shard must be 0 or more") }
        if shard != nil && slurm { throw ValidationError("--shard runs one shard here; leave out --slurm") }
    }

    func run() throws {
        try reportingErrors {
            let (spec, folder) = try options.load()
            let progress = Progress(quiet: options.quiet)
            if let shard {
                try ShardRun.run(
                    shard, spec: spec, folder: folder,
                    options: .init(expectedPlan: plan, threads: threads, version: HeadMapsVersion.string),
                    log: progress.log)
                return
            }
            let lock = try folder.lockWhole()
            defer { withExtendedLifetime(lock) {} }
            let plan = try SweepPlan.write(spec, to: folder, version: HeadMapsVersion.string, log: progress.log)
            let states = plan.states(in: folder)
            let toRun = plan.shards.indices.filter { states[$0].needsRun }
            let done = states.filter(\.isDone).count
            progress.log(
                "\(plan.shards.count) shards: \(done) done with the same checkpoint and settings, "
                    + "\(states.filter { $0 == .running }.count) running elsewhere, \(toRun.count) to run")
            // The worker every shard runs: this binary, by its real path.
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            if slurm {
                guard !toRun.isEmpty else {
                    progress.log("nothing to submit; merge with `\(options.command("merge"))`")
                    return
                }
                let jobs = try SlurmSubmission.submit(
                    toRun, plan: plan, spec: spec, folder: folder, executable: executable, extra: sbatch,
                    maximumArray: SlurmSubmission.maximumArraySize(), log: progress.log)
                for job in jobs { print("submitted job \(job.id): \(job.shards.count) shards") }
                progress.log(
                    "follow it with `\(options.command("status"))`; "
                        + "merge with `\(options.command("merge"))` when it is done")
                return
            }
            let perWorker = threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / jobs)
            _ = try LocalWorkers.run(
                toRun, jobs: jobs, folder: folder,
                command: { [specFile = spec.file, out = folder.path, digest = plan.digest] index in
                    [
                        executable, "sweep", "run", specFile, "--out", out, "--shard", String(index), "--plan", digest,
                        "--threads", String(perWorker),
                    ]
                },
                finished: {
                    [quiet = options.quiet, total = toRun.count, labels = plan.shards.map(\.label)] outcome, count in
                    Progress(quiet: quiet).log(
                        "[\(count)/\(total)] shard \(outcome.index) \(labels[outcome.index]): "
                            + (outcome.status == 0 ? "done" : "failed (exit \(outcome.status))")
                            + String(format: " in %.1f s", outcome.seconds))
                })
            let after = plan.states(in: folder)
            let failed = plan.shards.indices.filter { !after[$0].isDone }
            if !failed.isEmpty {
                throw SweepError.shardsFailed(
                    failed: failed.map { "\(plan.shards[$0].label): \(after[$0].summary); log: \(folder.log($0))" })
            }
            try SweepOptions.merge(spec, folder, partial: false, progress: progress)
        }
    }
}

struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "List each shard's state: done, running, failed with its error, pending.")

    @OptionGroup var options: SweepOptions

    func run() throws {
        try reportingErrors {
            let (_, folder) = try options.load()
            let plan = try SweepPlan.read(folder.plan)
            let states = plan.states(in: folder)
            for (shard, state) in zip(plan.shards, states) { print("\(shard.index)\t\(shard.label)\t\(state.summary)") }
            let words = ["done", "running", "failed", "interrupted", "outdated", "pending"]
            let counts = words.compactMap { word -> String? in
                let n = states.filter { $0.word == word }.count
                return n == 0 ? nil : "\(n) \(word)"
            }
            print("\(plan.shards.count) shards: \(counts.joined(separator: ", "))")
        }
    }
}

struct SweepMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Merge the done shards into sweep.json, sweep.csv and report/.")

    @OptionGroup var options: SweepOptions

    @Flag(name: .long, help: "Merge what is done, listing the shards left out, instead of refusing.")
    var partial = false

    func run() throws {
        try reportingErrors {
            let (spec, folder) = try options.load()
            let progress = Progress(quiet: options.quiet)
            let lock = try folder.lockWhole()
            defer { withExtendedLifetime(lock) {} }
            try SweepOptions.merge(spec, folder, partial: partial, progress: progress)
        }
    }
}
