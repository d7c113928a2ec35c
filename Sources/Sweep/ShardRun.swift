import Analysis
import Core
import Foundation

/// One shard, as a Slurm task or a local worker runs it: under the shard's
/// lock, checks that the plan and the checkpoint are the ones planned, scores
/// every relation, writes `scores.json` atomically and then the `done` record.
/// An error is recorded (`failed`, with the message) and thrown.
public enum ShardRun {
    public struct Options: Sendable {
        public var expectedPlan: String?
        public var threads: Int?
        public var version: String

        public init(expectedPlan: String? = nil, threads: Int? = nil, version: String) {
            self.expectedPlan = expectedPlan
            self.threads = threads
            self.version = version
        }
    }

    public static func run(
        _ index: Int, spec: SweepSpec, folder: SweepFolder, options: Options, log: @escaping (String) -> Void
    ) throws {
        let plan = try SweepPlan.read(folder.plan)
        if let expected = options.expectedPlan, expected != plan.digest {
            throw SweepError.planChanged(file: folder.plan, submitted: expected, found: plan.digest)
        }
        guard plan.shards.indices.contains(index) else {
            throw SweepError.shardOutOfRange(index: index, count: plan.shards.count)
        }
        let shard = plan.shards[index]
        guard let lock = try FileLock.acquire(folder.shardLock(shard)) else {
            throw SweepError.shardBusy(shard: shard.label, lock: folder.shardLock(shard))
        }
        defer { withExtendedLifetime(lock) {} }
        let host = ProcessInfo.processInfo.hostName
        var record = ShardRecord(
            state: .running, checkpointDigest: shard.digest, settingsDigest: plan.settings, host: host)
        try AtomicFile.write(Data(record.encoded().utf8), to: folder.record(shard))
        let start = ContinuousClock.now
        do {
            guard try SweepPlan.settingsDigest(spec, version: options.version) == plan.settings else {
                throw SweepError.settingsChanged(file: folder.plan)
            }
            let found = try CheckpointDigest.of(shard.path)
            guard found == shard.digest else {
                throw SweepError.checkpointChanged(
                    shard: shard.label, path: shard.path, planned: shard.digest, found: found)
            }
            log("shard \(index): \(shard.label) (\(shard.path))")
            var request = ModelAnalysis.Request(
                modelPath: shard.path, relations: try spec.relations(), k: spec.scoring.k,
                minimumPairs: spec.scoring.minimumPairs, sourceRule: spec.scoring.sourceRule)
            request.threads = options.threads
            var document = try ModelAnalysis(request, log: log).document
            document.source = shard.label
            let scores = Data(document.encoded().utf8)
            try AtomicFile.write(scores, to: folder.scores(shard))
            record.state = .done
            record.scoresDigest = CheckpointDigest.sha256(scores)
            record.seconds = (ContinuousClock.now - start).seconds
            try AtomicFile.write(Data(record.encoded().utf8), to: folder.record(shard))
            log("shard \(index): \(shard.label) done in \(String(format: "%.1f", record.seconds!)) s")
        } catch {
            record.state = .failed
            record.error = "\(error)"
            record.seconds = (ContinuousClock.now - start).seconds
            try? AtomicFile.write(Data(record.encoded().utf8), to: folder.record(shard))
            throw error
        }
    }
}
