import Core

/// `ablation.json` (`headmaps.ablation.v1`): the accuracy curves of one
/// relation's task as its top static heads, random heads, and (on another
/// task) its heads are ablated.
public enum AblationDocument {
    public static let schema = "headmaps.ablation.v1"

    public static func encode(model: String, _ a: Ablation) -> String {
        let q = JSONString.quoted
        func curve(_ c: Ablation.Curve, _ indent: String) -> String {
            "{\n\(indent)  \"heads\": [" + c.heads.map { q($0.description) }.joined(separator: ", ") + "],\n"
                + "\(indent)  \"accuracy\": [" + c.accuracy.map { $0.description }.joined(separator: ", ")
                + "]\n\(indent)}"
        }
        var out = "{\n  \"schema\": \(q(schema)),\n  \"model\": \(q(model)),\n  \"relation\": \(q(a.relation)),\n"
        out += "  \"template\": \(q(a.template)),\n  \"prompts\": \(a.prompts),\n"
        out += "  \"top_heads\": \(curve(a.top, "  ")),\n"
        out +=
            "  \"random_heads\": [" + a.random.map { "\n    " + curve($0, "    ") }.joined(separator: ",")
            + (a.random.isEmpty ? "],\n" : "\n  ],\n")
        if let c = a.control {
            out +=
                "  \"control\": {\"relation\": \(q(c.relation)), \"template\": \(q(c.template)), "
                + "\"curve\": \(curve(c.curve, "  "))}\n"
        } else {
            out += "  \"control\": null\n"
        }
        return out + "}\n"
    }

    /// "accuracy 0.84 → 0.12 after ablating 40 top heads; random heads: → 0.80 (mean of 5); control …"
    public static func summary(_ a: Ablation) -> String {
        func drop(_ c: Ablation.Curve) -> String {
            String(format: "%.2f → %.2f", c.accuracy.first ?? 0, c.accuracy.last ?? 0)
        }
        var text = "\(a.relation): accuracy \(drop(a.top)) after ablating its \(a.top.heads.count) top heads"
        if !a.random.isEmpty {
            let ends = a.random.map { $0.accuracy.last ?? 0 }
            text += String(
                format: "; random heads: → %.2f (mean of %d draws)", ends.reduce(0, +) / Double(ends.count), ends.count)
        }
        if let c = a.control { text += "; on \(c.relation)'s task: \(drop(c.curve))" }
        return text
    }
}
