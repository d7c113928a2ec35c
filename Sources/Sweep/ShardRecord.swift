import Core
import Foundation

/// `shard.json`, beside a shard's `scores.json`: what became of its last run.
/// Written atomically at each step: `running` before the work, then `done`
/// (after `scores.json` is in place) or `failed` with the error. A run killed
/// on the way leaves `running` behind with no process holding the shard's lock.
public struct ShardRecord: Sendable, Equatable {
    public static let schema = "headmaps.sweep-shard.v1"

    public enum State: String, Sendable {
        case running, done, failed
    }

    public var state: State
    public var checkpointDigest: String
    public var settingsDigest: String
    /// The SHA-256 of `scores.json` (done only).
    public var scoresDigest: String?
    public var error: String?
    public var seconds: Double?
    public var host: String

    public func encoded() -> String {
        let q = JSONString.quoted
        var fields = [
            "\"schema\": \(q(Self.schema))", "\"state\": \(q(state.rawValue))",
            "\"checkpoint_digest\": \(q(checkpointDigest))", "\"settings_digest\": \(q(settingsDigest))",
            "\"host\": \(q(host))",
        ]
        if let scoresDigest { fields.append("\"scores_sha256\": \(q(scoresDigest))") }
        if let seconds { fields.append("\"seconds\": \(String(format: "%.3f", seconds))") }
        if let error { fields.append("\"error\": \(q(error))") }
        return "{\n  " + fields.joined(separator: ",\n  ") + "\n}\n"
    }

    /// nil where there is no record, or one that cannot be read (then the shard is run again).
    public static func read(_ file: String) -> ShardRecord? {
        guard let data = try? InputFile.read(file, kind: "shard record", limit: 1 << 20),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            root["schema"] as? String == schema, let state = (root["state"] as? String).flatMap(State.init),
            let checkpoint = root["checkpoint_digest"] as? String, let settings = root["settings_digest"] as? String
        else { return nil }
        return ShardRecord(
            state: state, checkpointDigest: checkpoint, settingsDigest: settings,
            scoresDigest: root["scores_sha256"] as? String, error: root["error"] as? String,
            seconds: (root["seconds"] as? NSNumber)?.doubleValue, host: root["host"] as? String ?? "")
    }
}

/// Where a shard stands, from its record, its lock and its scores.
public enum ShardState: Sendable, Equatable {
    case pending
    case running
    /// Its process ended mid-shard (killed, or its node lost): run it again.
    case interrupted
    case failed(String)
    /// Done, but for another checkpoint or other settings than the plan's now.
    case outdated
    case done(seconds: Double?)

    public var isDone: Bool { if case .done = self { return true } else { return false } }
    public var needsRun: Bool {
        switch self {
        case .done, .running: return false
        default: return true
        }
    }

    /// The state in one word, as `sweep status` counts them.
    public var word: String {
        switch self {
        case .pending: return "pending"
        case .running: return "running"
        case .interrupted: return "interrupted"
        case .failed: return "failed"
        case .outdated: return "outdated"
        case .done: return "done"
        }
    }

    /// The word, with what it means for the next run or what went wrong.
    public var summary: String {
        switch self {
        case .interrupted: return word + " (its process ended mid-shard; it runs again)"
        case .failed(let error): return word + ": " + error
        case .outdated: return word + " (done for another checkpoint or settings; it runs again)"
        case .done(let seconds): return word + (seconds.map { String(format: " in %.1f s", $0) } ?? "")
        case .pending, .running: return word
        }
    }

    public static func of(_ shard: SweepPlan.Shard, plan: SweepPlan, folder: SweepFolder) -> ShardState {
        if FileLock.isHeld(folder.shardLock(shard)) { return .running }
        guard let record = ShardRecord.read(folder.record(shard)) else { return .pending }
        switch record.state {
        case .running: return .interrupted
        case .failed: return .failed(record.error ?? "no message")
        case .done:
            guard record.checkpointDigest == shard.digest, record.settingsDigest == plan.settings,
                let data = try? InputFile.read(
                    folder.scores(shard), kind: "scores file", limit: InputFile.Limit.scores),
                CheckpointDigest.sha256(data) == record.scoresDigest
            else { return .outdated }
            return .done(seconds: record.seconds)
        }
    }
}
