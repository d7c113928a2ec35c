import Experiments
import Foundation

/// The experiments' tables: per relation, the correlations of static and
/// dynamic scores; per ablated relation, the accuracy drops.
struct DynamicRow {
    let relation: String
    let withContext: String
    let withoutContext: String
    let suppressionWith: String
    let suppressionWithout: String
    let prompts: String

    init(_ r: DynamicScores.RelationResult, title: String) {
        func show(_ c: Correlation) -> String {
            guard let value = c.r, let p = c.p else { return "n/a" }
            return String(format: "%.2f (p = %.2g)", value, p)
        }
        relation = title
        withContext = show(r.withContext.score)
        withoutContext = show(r.withoutContext.score)
        suppressionWith = show(r.withContext.suppression)
        suppressionWithout = show(r.withoutContext.suppression)
        prompts = r.templates.map { String($0.withContext.prompts) }.joined(separator: ", ")
    }
}

struct AblationRow {
    let relation: String
    let template: String
    let heads: Int
    let before: String
    let afterTop: String
    let afterRandom: String
    let control: String

    init(_ a: Ablation, title: String) {
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        relation = title
        template = a.template
        heads = a.top.heads.count
        before = f(a.top.accuracy.first ?? 0)
        afterTop = f(a.top.accuracy.last ?? 0)
        let ends = a.random.map { $0.accuracy.last ?? 0 }
        afterRandom = ends.isEmpty ? "—" : f(ends.reduce(0, +) / Double(ends.count)) + " (mean of \(ends.count))"
        control =
            a.control.map { "\($0.relation): \(f($0.curve.accuracy.first ?? 0)) → \(f($0.curve.accuracy.last ?? 0))" }
            ?? "—"
    }
}
