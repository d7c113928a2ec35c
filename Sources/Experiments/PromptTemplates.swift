import Core
import Foundation

/// What makes a list of prompt templates usable, checked before any prompt is
/// tokenized: each holds `<X>` (where the source goes) exactly once, none is
/// listed twice (it would count each head twice in the correlations), and
/// their number and length stay within what a prompt can be.
public enum PromptTemplates {
    /// More than enough for any experiment; the paper uses four.
    public static let maximumCount = 100
    /// Characters of one template: far longer than any model's context in tokens.
    public static let maximumLength = 4096

    /// A templates file: a JSON array of template strings that pass `problem`.
    public static func parse(_ data: Data, path: String) throws -> [String] {
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [String], !list.isEmpty else {
            throw ExperimentError.badTemplate(file: path, problem: "must be a JSON array of template strings")
        }
        if let problem = problem(list) { throw ExperimentError.badTemplate(file: path, problem: problem) }
        return list
    }

    /// Why `templates` cannot be used, or nil.
    public static func problem(_ templates: [String]) -> String? {
        guard !templates.isEmpty else { return "no template is given" }
        guard templates.count <= maximumCount else {
            return "\(templates.count) templates; at most \(maximumCount)"
        }
        var seen = Set<[UInt8]>()
        for t in templates {
            if t.count > maximumLength {
                return "template '\(Excerpt.short(t))' is \(t.count) characters long; at most \(maximumLength)"
            }
            if t.components(separatedBy: "<X>").count != 2 {
                return "template '\(Excerpt.short(t))' must hold <X> exactly once"
            }
            if !seen.insert(Array(t.utf8)).inserted { return "template '\(Excerpt.short(t))' is listed twice" }
        }
        return nil
    }
}
