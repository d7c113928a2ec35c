import Checkpoint
import Core
import Foundation

/// The `headmaps.scores.v1` file: what `headmaps scores` writes and what the
/// plotting, report and comparison steps read.
///
/// Written by hand rather than by `JSONEncoder` so that the key order is the
/// documented one and each layer is one line: two runs diff line by line.
public struct ScoresDocument: Equatable, Sendable {
    public static let schema = "headmaps.scores.v1"

    public var source: String
    public var shape: ModelShape
    public var relations: [RelationScores]

    public init(source: String, shape: ModelShape, relations: [RelationScores]) {
        self.source = source
        self.shape = shape
        self.relations = relations
    }

    public func relation(named name: String) -> RelationScores? { relations.first { $0.name == name } }

    public func encoded() -> String {
        var out = "{\n"
        out += "  \"schema\": \(json(ScoresDocument.schema)),\n"
        out +=
            "  \"model\": {\"source\": \(json(source)), \"layers\": \(shape.layers), \"heads\": \(shape.heads), "
            + "\"d_model\": \(shape.dModel), \"vocab\": \(shape.vocab)"
            + (shape.hasPlainHeads ? "" : ", \"kv_heads\": \(shape.kvHeads), \"d_head\": \(shape.dHead)") + "},\n"
        out += "  \"relations\": ["
        for (i, r) in relations.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            out += "    {\n"
            out += "      \"name\": \(json(r.name)),\n"
            out += "      \"title\": \(json(r.title)),\n"
            out += "      \"k\": \(r.k),\n"
            out += "      \"k_rule\": \(json(r.kRule)),\n"
            out += "      \"source_rule\": \(json(r.sourceRule)),\n"
            out += "      \"pairs_total\": \(r.pairsTotal),\n"
            out += "      \"pairs_kept\": \(r.pairsKept),\n"
            out += "      \"skipped\": \(r.skipped)"
            if let reason = r.skipReason {
                out += ",\n      \"skip_reason\": \(json(reason))\n"
            } else {
                out += ",\n      \"scores\": \(matrix(r.scores)),\n"
                out += "      \"suppression\": \(matrix(r.suppression))\n"
            }
            out += "    }"
        }
        out += relations.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    private func matrix(_ rows: [[Double]]) -> String {
        "[\n"
            + rows.map { "        [" + $0.map { $0.description }.joined(separator: ", ") + "]" }.joined(
                separator: ",\n") + "\n      ]"
    }

    private func json(_ s: String) -> String { JSONString.quoted(s) }

    public static func read(path: String) throws -> ScoresDocument {
        func fail(_ what: String) -> ScoresFileError { ScoresFileError(file: path, problem: what) }
        return try parse(try InputFile.read(path, kind: "scores file", limit: InputFile.Limit.scores), path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> ScoresDocument {
        func fail(_ what: String) -> ScoresFileError { ScoresFileError(file: path, problem: what) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        guard root["schema"] as? String == schema else {
            throw fail("schema is \(root["schema"].map { "\($0)" } ?? "missing"), expected \(schema)")
        }
        guard let model = root["model"] as? [String: Any],
            let layers = JSONBoolean.integer(model["layers"]), let heads = JSONBoolean.integer(model["heads"]),
            let d = JSONBoolean.integer(model["d_model"]), let vocab = JSONBoolean.integer(model["vocab"])
        else {
            throw fail("'model' must hold integer layers, heads, d_model and vocab")
        }
        let limits = ModelShape.Limits.self
        guard (1...limits.layers).contains(layers), (1...limits.heads).contains(heads),
            (1...limits.width).contains(d), (1...limits.vocab).contains(vocab)
        else {
            throw fail(
                "'model': layers \(layers), heads \(heads), d_model \(d), vocab \(vocab) must each be at least 1 and "
                    + "at most \(limits.layers), \(limits.heads), \(limits.width), \(limits.vocab)"
            )
        }
        guard let items = root["relations"] as? [[String: Any]] else {
            throw fail("'relations' must be an array of objects")
        }
        let relations: [RelationScores] = try items.enumerated().map { i, item in
            guard let name = item["name"] as? String, let k = JSONBoolean.integer(item["k"]),
                let total = JSONBoolean.integer(item["pairs_total"]), let kept = JSONBoolean.integer(item["pairs_kept"])
            else {
                throw fail("relation \(i) lacks name, k, pairs_total or pairs_kept")
            }
            guard k >= 1, kept >= 0, total >= kept else {
                throw fail("relation '\(name)': k \(k), pairs_total \(total) and pairs_kept \(kept) are inconsistent")
            }
            let title = item["title"] as? String ?? Relation.defaultTitle(name)
            // Files written before these keys existed used the standard k rule and the method's sources.
            let kRule = item["k_rule"] as? String ?? DefaultK.standard.rule
            let sourceRule = item["source_rule"] as? String ?? SourceRule.mlp0.rawValue
            if (item["skipped"] as? Bool) == true {
                return RelationScores(
                    name: name, title: title, k: k, kRule: kRule, sourceRule: sourceRule, pairsTotal: total,
                    pairsKept: kept,
                    skipReason: item["skip_reason"] as? String ?? "skipped", hits: [], suppressionHits: [])
            }
            func counts(_ key: String) throws -> [[Int]] {
                guard let rows = item[key] as? [[NSNumber]], rows.count == layers,
                    rows.allSatisfy({ $0.count == heads })
                else {
                    throw fail("relation '\(name)': '\(key)' must be a \(layers) × \(heads) array of numbers")
                }
                return try rows.enumerated().map { l, row in
                    try row.enumerated().map { h, number in
                        guard !JSONBoolean.isBoolean(number) else {
                            throw fail("relation '\(name)': \(key)[\(l)][\(h)] is true or false, not a score")
                        }
                        let v = number.doubleValue
                        guard v.isFinite, v >= 0, v <= 1 else {
                            throw fail(
                                "relation '\(name)': \(key)[\(l)][\(h)] is \(v); scores are fractions between 0 and 1")
                        }
                        return Int((v * Double(kept)).rounded())
                    }
                }
            }
            return RelationScores(
                name: name, title: title, k: k, kRule: kRule, sourceRule: sourceRule, pairsTotal: total,
                pairsKept: kept, skipReason: nil,
                hits: try counts("scores"), suppressionHits: try counts("suppression"))
        }
        var seen = Set<String>()
        for r in relations where !seen.insert(r.name).inserted {
            throw fail("relation '\(r.name)' appears twice; a comparison would read only one of them")
        }
        return ScoresDocument(
            source: root["model"].flatMap { ($0 as? [String: Any])?["source"] as? String } ?? "",
            shape: ModelShape(
                layers: layers, heads: heads, dModel: d, vocab: vocab,
                kvHeads: (model["kv_heads"]).flatMap(JSONBoolean.integer),
                dHead: (model["d_head"]).flatMap(JSONBoolean.integer)),
            relations: relations)
    }
}

extension ScoresDocument {
    /// The scores in long form, one row per relation and head, for pandas and
    /// R: `model,relation,layer,head,score,suppression,pairs_kept,k`. Skipped
    /// relations have no rows; rows follow the JSON's order, so two runs diff cleanly.
    public func csv() -> String {
        let field = CSVField.quoted
        var lines = ["model,relation,layer,head,score,suppression,pairs_kept,k"]
        for r in relations where !r.skipped {
            for (l, row) in r.scores.enumerated() {
                for (h, score) in row.enumerated() {
                    lines.append(
                        [
                            field(source), field(r.name), String(l), String(h), score.description,
                            r.suppression[l][h].description, String(r.pairsKept), String(r.k),
                        ].joined(separator: ","))
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
