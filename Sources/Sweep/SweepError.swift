import Core
import Foundation

/// What can go wrong in a sweep, each case with the folder, shard or file it concerns.
public enum SweepError: Error, CustomStringConvertible, Equatable {
    case notASweepFolder(folder: String)
    case busy(folder: String, lock: String)
    case noPlan(folder: String)
    case unreadablePlan(file: String, problem: String)
    case planChanged(file: String, submitted: String, found: String)
    case settingsChanged(file: String)
    case shardOutOfRange(index: Int, count: Int)
    case shardBusy(shard: String, lock: String)
    case checkpointChanged(shard: String, path: String, planned: String, found: String)
    case noMatchingRevision(model: String, pattern: String, known: [String])
    case notInCache(model: String)
    case labelsCollide(first: String, second: String, label: String)
    case unfinishedShards(folder: String, shards: [String])
    case shardsFailed(failed: [String])
    case noSbatch
    case sbatchOption(option: String)
    case sbatchRefused(status: Int32, message: String)
    case arrayTooLarge(index: Int, maximum: Int)

    public var description: String {
        switch self {
        case .notASweepFolder(let folder):
            return
                "\(folder): exists, is not empty and was not made by headmaps sweep (no .headmaps-sweep); "
                + "choose another --out or empty it: nothing in it is replaced"
        case .busy(let folder, let lock):
            return
                "\(folder): another headmaps sweep is planning, running or merging this folder (it holds \(lock)); "
                + "wait for it to finish, or give another --out"
        case .noPlan(let folder):
            return "\(folder): holds no plan.json; run `headmaps sweep plan SPEC` or `headmaps sweep SPEC` first"
        case .unreadablePlan(let file, let problem):
            return "\(file): \(problem); plan the sweep again (`headmaps sweep plan SPEC`)"
        case .planChanged(let file, let submitted, let found):
            return
                "\(file): the sweep was planned again since this task was submitted (plan \(submitted.prefix(12)), "
                + "now \(found.prefix(12))); nothing was run: submit it again"
        case .settingsChanged(let file):
            return
                "\(file): the spec's relations or settings changed since the plan was made; "
                + "plan again (`headmaps sweep SPEC` or `headmaps sweep plan SPEC`)"
        case .shardOutOfRange(let index, let count):
            return "--shard \(index): the plan has \(count) shards, 0–\(count - 1)"
        case .shardBusy(let shard, let lock):
            return "shard \(shard): another process is running it (it holds \(lock)); it was not run twice"
        case .checkpointChanged(let shard, let path, let planned, let found):
            return
                "shard \(shard): \(path) changed since the sweep was planned (digest \(planned.prefix(12)), "
                + "now \(found.prefix(12))); plan again so that its scores say which checkpoint they come from"
        case .noMatchingRevision(let model, let pattern, let known):
            return
                "\(model): no branch or tag in the local cache matches '\(pattern)' (it holds: "
                + "\(known.isEmpty ? "none" : known.joined(separator: ", "))); download those revisions first"
        case .notInCache(let model):
            return
                "\(model): not in the local Hugging Face cache (HF_HUB_CACHE, HF_HOME, ~/.cache/huggingface/hub), "
                + "where revisions: \"pattern\" looks for its branches; download the model's revisions first"
        case .labelsCollide(let first, let second, let label):
            return
                "models '\(first)' and '\(second)' would both write shards/\(label)/; "
                + "give them folders or files with different names"
        case .unfinishedShards(let folder, let shards):
            return
                "\(folder): \(shards.count) shard\(shards.count == 1 ? " is" : "s are") not done:\n"
                + shards.map { "  - \($0)" }.joined(separator: "\n")
                + "\nrun them (`headmaps sweep SPEC`), or merge what is done with --partial"
        case .shardsFailed(let failed):
            return
                "\(failed.count) shard\(failed.count == 1 ? "" : "s") failed:\n"
                + failed.map { "  - \($0)" }.joined(separator: "\n")
        case .noSbatch:
            return "--slurm: sbatch is not on PATH; run on a Slurm login node, or without --slurm to run here"
        case .sbatchOption(let option):
            return
                "Slurm option '\(Excerpt.short(option))': must be one sbatch option such as --qos=short "
                + "(it starts with '-')"
        case .sbatchRefused(let status, let message):
            return "sbatch refused the job (exit \(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .arrayTooLarge(let index, let maximum):
            return
                "shard \(index): above this cluster's MaxArraySize (\(maximum)) even in chunks; ask for a larger "
                + "MaxArraySize"
        }
    }
}
