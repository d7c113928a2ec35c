import Core

/// `dynamic.json` (`headmaps.dynamic.v1`): per relation and template the
/// dynamic scores with and without context, and the correlations with the
/// static scores. Written by hand so keys keep their documented order and
/// each layer is one line.
public enum DynamicDocument {
    public static let schema = "headmaps.dynamic.v1"

    public static func encode(model: String, templates: [String], relations: [DynamicScores.RelationResult]) -> String {
        let q = JSONString.quoted
        var out =
            "{\n  \"schema\": \(q(schema)),\n  \"model\": \(q(model)),\n  \"templates\": ["
            + templates.map(q).joined(separator: ", ") + "],\n  \"relations\": ["
        for (i, r) in relations.enumerated() {
            out +=
                (i == 0 ? "\n" : ",\n")
                + "    {\n      \"name\": \(q(r.name)),\n      \"k\": \(r.k),\n      \"pairs_kept\": \(r.pairsKept),\n"
            out += correlations(r, indent: "      ") + ",\n"
            out += "      \"templates\": ["
            for (j, t) in r.templates.enumerated() {
                out +=
                    (j == 0 ? "\n" : ",\n")
                    + "        {\n          \"template\": \(q(t.template)),\n         "
                    + " \"prompts\": \(t.withContext.prompts),\n          \"dropped\": \(t.dropped),\n"
                out += counts(t, indent: "          ") + "\n        }"
            }
            out += "\n      ]\n    }"
        }
        return out + (relations.isEmpty ? "]\n}\n" : "\n  ]\n}\n")
    }

    /// `"correlations": {…}` of a relation, with and without context, at `indent`.
    static func correlations(_ r: DynamicScores.RelationResult, indent: String) -> String {
        func correlation(_ c: Correlation) -> String {
            let r = c.r.map { $0.description } ?? "null"
            let p = c.p.map { $0.description } ?? "null"
            return "{\"r\": \(r), \"p\": \(p), \"n\": \(c.n)}"
        }
        func pair(_ name: String, _ c: (score: Correlation, suppression: Correlation)) -> String {
            "\(indent)  \"\(name)\": {\"score\": \(correlation(c.score)), "
                + "\"suppression\": \(correlation(c.suppression))}"
        }
        return "\(indent)\"correlations\": {\n" + pair("with_context", r.withContext) + ",\n"
            + pair("without_context", r.withoutContext) + "\n\(indent)}"
    }

    /// `"with_context"` and `"without_context"` scores and suppression of one template, each layer a line.
    static func counts(_ t: DynamicScores.TemplateResult, indent: String) -> String {
        func matrix(_ rows: [[Double]]) -> String {
            "[\n"
                + rows.map { indent + "    [" + $0.map { $0.description }.joined(separator: ", ") + "]" }.joined(
                    separator: ",\n") + "\n\(indent)  ]"
        }
        func both(_ name: String, _ c: DynamicScores.Counts) -> String {
            "\(indent)\"\(name)\": {\"scores\": \(matrix(c.scores)), \"suppression\": \(matrix(c.suppression))}"
        }
        return both("with_context", t.withContext) + ",\n" + both("without_context", t.withoutContext)
    }

    /// One line per relation for a person watching.
    public static func summary(_ r: DynamicScores.RelationResult) -> String {
        func show(_ c: Correlation) -> String {
            guard let value = c.r, let p = c.p else { return "r undefined (a constant map)" }
            return String(format: "r = %.2f (p = %.2g)", value, p)
        }
        return
            "\(r.name): with context \(show(r.withContext.score)), without context \(show(r.withoutContext.score)); "
            + "suppression \(show(r.withContext.suppression)) / \(show(r.withoutContext.suppression))"
    }
}
