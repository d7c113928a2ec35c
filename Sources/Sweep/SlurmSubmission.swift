import Core
import Foundation
import Report

/// A sweep as Slurm job arrays: `slurm/sweep.sbatch` runs
/// `headmaps sweep run SPEC --shard $SLURM_ARRAY_TASK_ID` (plus the array's
/// first index, where a sweep has more shards than the cluster's
/// `MaxArraySize`), with `--time`, `--mem` and `--cpus-per-task` from the plan
/// and the spec's `slurm:` options passed through.
public enum SlurmSubmission {
    public struct Job: Sendable, Equatable {
        public let id: String
        public let shards: [Int]
    }

    /// The array specification of `indices` less `base`: ranges where they
    /// run on (`0-4,7,9-10`), with `%parallel`.
    public static func array(_ indices: [Int], base: Int = 0, parallel: Int?) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = indices.sorted().map { $0 - base }
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",") + (parallel.map { "%\($0)" } ?? "")
    }

    /// The sbatch options every task gets, from the plan's largest estimates
    /// (twice the time, at least 5 minutes) and the spec.
    public static func options(for shards: [SweepPlan.Shard], spec: SweepSpec, extra: [String]) -> [String] {
        let seconds = shards.map(\.estimate.seconds).max() ?? 60
        let minutes = spec.slurm.minutes ?? max(5, Int((seconds * 2 / 60).rounded(.up)))
        let megabytes = ((shards.map(\.estimate.memoryBytes).max() ?? 0) >> 20) + 1
        var options = [
            "--job-name=headmaps-\(spec.name)", "--time=\(minutes)", "--mem=\(megabytes)M",
            "--cpus-per-task=\(spec.slurm.cpus)",
        ]
        if let partition = spec.slurm.partition { options.append("--partition=\(partition)") }
        if let account = spec.slurm.account { options.append("--account=\(account)") }
        return options + spec.slurm.options + extra
    }

    /// The batch script: one shard per task; the spec and folder by absolute path.
    public static func script(spec: SweepSpec, folder: SweepFolder, executable: String, plan: String) -> String {
        let quote = ShellWords.quote
        return """
            #!/bin/bash
            # Written by headmaps sweep: one shard of the sweep per array task.
            # HEADMAPS_SHARD_BASE is the array's first shard where a sweep is
            # split into arrays of at most MaxArraySize tasks.
            set -euo pipefail
            shard=$(( ${HEADMAPS_SHARD_BASE:-0} + SLURM_ARRAY_TASK_ID ))
            exec \(quote(executable)) sweep run \(quote(spec.file)) --out \(quote(folder.path)) \\
              --shard "$shard" --plan \(plan) --threads "${SLURM_CPUS_PER_TASK:-1}"

            """
    }

    /// Writes the script and submits one array per window of `maximumArray`
    /// shard indices; returns the jobs.
    public static func submit(
        _ indices: [Int], plan: SweepPlan, spec: SweepSpec, folder: SweepFolder, executable: String,
        extra: [String], maximumArray: Int, log: (String) -> Void
    ) throws -> [Job] {
        for option in extra where !option.hasPrefix("-") { throw SweepError.sbatchOption(option: option) }
        guard let sbatch = which("sbatch") else { throw SweepError.noSbatch }
        let scriptPath = folder.path + "/slurm/sweep.sbatch"
        try AtomicFile.write(
            Data(script(spec: spec, folder: folder, executable: executable, plan: plan.digest).utf8), to: scriptPath)
        try FileManager.default.createDirectory(atPath: folder.path + "/logs", withIntermediateDirectories: true)
        let options = self.options(for: indices.map { plan.shards[$0] }, spec: spec, extra: extra)
        var jobs: [Job] = []
        let windows = Dictionary(grouping: indices) { $0 / maximumArray * maximumArray }
        for base in windows.keys.sorted() {
            let shards = windows[base]!.sorted()
            let arguments =
                ["--parsable", "--array=\(array(shards, base: base, parallel: spec.slurm.parallel))"] + options
                + [
                    "--output=\(folder.path)/logs/shard-%a\(base == 0 ? "" : "+\(base)").log",
                    "--export=ALL,HEADMAPS_SHARD_BASE=\(base)", scriptPath,
                ]
            log("sbatch \(arguments.joined(separator: " "))")
            let (status, output, errors) = try runProgram(sbatch, arguments)
            guard status == 0 else { throw SweepError.sbatchRefused(status: status, message: errors + output) }
            let id = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
            jobs.append(Job(id: id ?? "?", shards: shards))
        }
        return jobs
    }

    /// The cluster's MaxArraySize (`scontrol show config`), 1001 (Slurm's default) where it cannot be read.
    public static func maximumArraySize() -> Int {
        guard let scontrol = which("scontrol"),
            let (status, output, _) = try? runProgram(scontrol, ["show", "config"]),
            status == 0
        else { return 1001 }
        for line in output.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            if let value = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return value
            }
        }
        return 1001
    }

    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static func runProgram(_ executable: String, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Small outputs: sbatch and scontrol print a few lines (scontrol's config fits a pipe's buffer).
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self)
        )
    }
}
