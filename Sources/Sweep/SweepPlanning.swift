import Core
import Foundation

extension SweepPlan {
    /// Plans `spec` into `folder` (made a sweep folder if new): resolves and
    /// digests every checkpoint, and writes `plan.json` where it differs
    /// from the one there, so that tasks already submitted keep theirs.
    public static func write(
        _ spec: SweepSpec, to folder: SweepFolder, version: String, log: (String) -> Void
    ) throws -> SweepPlan {
        try folder.prepare()
        let plan = try make(spec, settings: try settingsDigest(spec, version: version), log: log)
        let text = plan.encoded()
        if (try? String(contentsOfFile: folder.plan, encoding: .utf8)) != text {
            try AtomicFile.write(Data(text.utf8), to: folder.plan)
        }
        return plan
    }

    /// Each shard's state, in the plan's order.
    public func states(in folder: SweepFolder) -> [ShardState] {
        shards.map { ShardState.of($0, plan: self, folder: folder) }
    }

    /// The plan as a person reads it: one line per shard with what it reads
    /// and its estimates, then the totals.
    public func table() -> String {
        func gigabytes(_ bytes: Int) -> String { String(format: "%.2f GB", Double(bytes) / 1e9) }
        var lines = shards.map { s in
            let e = s.estimate
            return
                "\(s.index)\t\(s.label)\t\(e.layers)×\(e.heads), d \(e.dModel), vocabulary \(e.vocab)\t"
                + "\(gigabytes(e.bytes)) read\t~\(Int(e.seconds)) s\t~\(gigabytes(e.memoryBytes))\t\(s.path)"
        }
        let seconds = shards.reduce(0) { $0 + $1.estimate.seconds }
        lines.append(
            "\(shards.count) shard\(shards.count == 1 ? "" : "s"): ~\(Int(seconds)) s in all on one machine, "
                + "at most \(gigabytes(shards.map(\.estimate.memoryBytes).max() ?? 0)) each")
        return "shard\tmodel@revision\tshape\treads\ttime\tmemory\tcheckpoint\n" + lines.joined(separator: "\n") + "\n"
    }
}
