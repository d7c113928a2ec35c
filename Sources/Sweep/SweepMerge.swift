import Analysis
import Core
import Foundation
import Report

/// The done shards of a sweep as one study, in the plan's order whatever
/// order they finished in: `sweep.json` (headmaps.sweep.v1), `sweep.csv`
/// (long form, with model and revision columns) and a report.
public struct SweepMerge {
    public static let schema = "headmaps.sweep.v1"

    public struct Entry {
        public let shard: SweepPlan.Shard
        public let document: ScoresDocument
    }

    /// One model's revisions, in the plan's order.
    public struct Model {
        public let name: String
        public let entries: [Entry]
        public var revisions: [String] { entries.map { $0.shard.revision ?? "main" } }
        /// Each revision's training step where every one is named `step<N>`.
        public var steps: [Double]? { TrainingFigure.steps(revisions) }

        /// Each revision's scores for `relation` (nil where it skipped it).
        public func maps(_ relation: String) -> [[[Double]]?] {
            entries.map { e in e.document.relation(named: relation).flatMap { $0.skipped ? nil : $0.scores } }
        }
    }

    public let spec: SweepSpec
    public let plan: SweepPlan
    public let entries: [Entry]
    /// Shards left out (`--partial`), by label.
    public let missing: [String]
    /// The entries by model, in the plan's order.
    public let models: [Model]
    /// Relations in the order the shards list them, each once, with its title.
    public let relations: [(name: String, title: String)]

    init(spec: SweepSpec, plan: SweepPlan, entries: [Entry], missing: [String]) {
        self.spec = spec
        self.plan = plan
        self.entries = entries
        self.missing = missing
        var order: [String] = []
        var grouped: [String: [Entry]] = [:]
        for e in entries {
            if grouped[e.shard.model] == nil { order.append(e.shard.model) }
            grouped[e.shard.model, default: []].append(e)
        }
        models = order.map { Model(name: $0, entries: grouped[$0]!) }
        var seen = Set<String>()
        relations = entries.flatMap(\.document.relations).filter { seen.insert($0.name).inserted }.map {
            ($0.name, $0.title)
        }
    }

    /// Reads the done shards; those not done are an error unless `partial`.
    public static func load(spec: SweepSpec, folder: SweepFolder, partial: Bool) throws -> SweepMerge {
        let plan = try SweepPlan.read(folder.plan)
        var entries: [Entry] = []
        var missing: [(String, String)] = []
        for shard in plan.shards {
            let state = ShardState.of(shard, plan: plan, folder: folder)
            guard state.isDone else {
                missing.append((shard.label, state.summary))
                continue
            }
            var document = try ScoresDocument.read(path: folder.scores(shard))
            document.source = shard.label
            entries.append(Entry(shard: shard, document: document))
        }
        if !missing.isEmpty && !partial {
            throw SweepError.unfinishedShards(
                folder: folder.path, shards: missing.map { "\($0.0): \($0.1)" })
        }
        return SweepMerge(spec: spec, plan: plan, entries: entries, missing: missing.map(\.0))
    }

    public func json() -> String {
        let q = JSONString.quoted
        var out = "{\n  \"schema\": \(q(Self.schema)),\n"
        out += "  \"settings_digest\": \(q(plan.settings)),\n"
        out += "  \"threshold\": \(spec.threshold),\n"
        out += "  \"missing\": [\(missing.map(q).joined(separator: ", "))],\n"
        out += "  \"shards\": ["
        for (i, model) in models.enumerated() {
            let steps = model.steps
            for (j, e) in model.entries.enumerated() {
                out += i == 0 && j == 0 ? "\n" : ",\n"
                let shape = e.document.shape
                out += "    {\n      \"model\": \(q(model.name)), \"revision\": \(e.shard.revision.map(q) ?? "null"), "
                out += "\"step\": \(steps.map { String(Int($0[j])) } ?? "null"),\n"
                out += "      \"checkpoint_digest\": \(q(e.shard.digest)), \"layers\": \(shape.layers), "
                out += "\"heads\": \(shape.heads),\n      \"relations\": ["
                for (r, relation) in e.document.relations.enumerated() {
                    out += r == 0 ? "\n" : ",\n"
                    out += "        {\"name\": \(q(relation.name)), \"k\": \(relation.k), "
                    out += "\"pairs_kept\": \(relation.pairsKept), \"skipped\": \(relation.skipped)"
                    if relation.skipped {
                        out += ", \"skip_reason\": \(q(relation.skipReason ?? "skipped"))}"
                    } else {
                        out += ",\n          \"scores\": \(matrix(relation.scores)),\n"
                        out += "          \"suppression\": \(matrix(relation.suppression))}"
                    }
                }
                out += e.document.relations.isEmpty ? "]\n    }" : "\n      ]\n    }"
            }
        }
        out += entries.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    /// One layer per line, so that two merges diff line by line.
    func matrix(_ rows: [[Double]]) -> String {
        "[\n"
            + rows.map { "            [" + $0.map(\.description).joined(separator: ", ") + "]" }.joined(
                separator: ",\n")
            + "\n          ]"
    }

    /// `model,revision,step,relation,layer,head,score,suppression,pairs_kept,k`, one row per head.
    public func csv() -> String {
        let field = CSVField.quoted
        var lines = ["model,revision,step,relation,layer,head,score,suppression,pairs_kept,k"]
        for model in models {
            let steps = model.steps
            for (j, e) in model.entries.enumerated() {
                let step = steps.map { String(Int($0[j])) } ?? ""
                for r in e.document.relations where !r.skipped {
                    for (l, row) in r.scores.enumerated() {
                        for (h, score) in row.enumerated() {
                            lines.append(
                                [
                                    field(model.name), field(e.shard.revision ?? ""), step, field(r.name), String(l),
                                    String(h), score.description, r.suppression[l][h].description,
                                    String(r.pairsKept), String(r.k),
                                ].joined(separator: ","))
                        }
                    }
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
