import Analysis
import Core
import Foundation

/// The spec keys that decide what is scored and how, read alike by report
/// and sweep specs: `relations` (names, or `all`), `relation_files`
/// (relative to the spec's folder), `k`, `min_pairs`, `sources`.
public struct ScoringKeys: Sendable, Equatable {
    public static let keys = ["relations", "relation_files", "k", "sources", "min_pairs"]

    /// Built-in relations by name; nil: all of them.
    public var relations: [String]?
    public var relationFiles: [String]
    public var k: Int?
    public var minimumPairs: Int
    public var sourceRule: SourceRule

    public static func parse(_ yaml: YAMLMapping, directory: String) throws -> ScoringKeys {
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p) }
        var relations: [String]?
        if let all = try? yaml.string("relations"), all == "all" {
            relations = nil
        } else if let list = try yaml.scalars("relations") {
            relations = list.map(\.text)
            for (name, line) in list where !BuiltinRelations.names.contains(name) {
                throw SpecError(
                    file: yaml.file, line: line, key: "relations",
                    message:
                        "unknown relation '\(Excerpt.short(name))'; built-in relations are: "
                        + BuiltinRelations.names.joined(separator: ", "))
            }
        }
        let relationFiles = try yaml.scalars("relation_files")?.map { path($0.text) } ?? []
        let k = try yaml.int("k")
        if let k, k < 1 { throw yaml.error("k", "must be at least 1") }
        let minimumPairs = try yaml.int("min_pairs") ?? TokenizedRelation.defaultMinimumPairs
        if minimumPairs < 1 { throw yaml.error("min_pairs", "must be at least 1, as --min-pairs") }
        var sourceRule = SourceRule.mlp0
        if let name = try yaml.string("sources") {
            guard let rule = SourceRule(rawValue: name) else {
                throw yaml.error(
                    "sources",
                    "must be \(SourceRule.allCases.map(\.rawValue).joined(separator: ", ")), not "
                        + "'\(Excerpt.short(name))'"
                )
            }
            sourceRule = rule
        }
        return ScoringKeys(
            relations: relations, relationFiles: relationFiles, k: k, minimumPairs: minimumPairs,
            sourceRule: sourceRule)
    }

    /// The relations to score: those named (or every built-in one), then
    /// `extra` names not among them, then the files'.
    public func relationsToScore(adding extra: [String] = [], file: String) throws -> [Relation] {
        var names = relations ?? BuiltinRelations.names
        for name in extra where !names.contains(name) { names.append(name) }
        var out = try names.map(BuiltinRelations.load)
        out += try relationFiles.map { try Relation.load(file: $0) }
        try Relation.checkDistinctNames(out, file: file)
        return out
    }
}
