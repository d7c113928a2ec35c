import Checkpoint
import Core
import Foundation
import Tokenizer

/// A named list of (source, target) string pairs, such as ("France", "Paris").
public struct Relation: Sendable, Equatable {
    public struct Pair: Sendable, Hashable {
        public let source: String
        public let target: String
        public init(_ source: String, _ target: String) {
            self.source = source
            self.target = target
        }
    }

    public let name: String
    /// How figures and reports spell it ("Country to capital").
    public let title: String
    public let category: String
    public let pairs: [Pair]
    /// Where the pairs came from: a built-in dataset or a file path.
    public let origin: String
    /// One of the datasets shipped with HeadMaps (not a user's file of the same name).
    public let isBuiltin: Bool

    public init(name: String, title: String, category: String, pairs: [Pair], origin: String, isBuiltin: Bool = false) {
        self.name = name
        self.title = title
        self.category = category
        self.pairs = pairs
        self.origin = origin
        self.isBuiltin = isBuiltin
    }

    /// Limits far above real datasets (the paper's largest has a few hundred pairs).
    public static let maximumPairs = 100_000
    public static let maximumStringLength = 1_000

    /// A copying relation maps every word to itself; the method scores those
    /// with k = 1 and every other relation with k = 10.
    public var isCopying: Bool { !pairs.isEmpty && pairs.allSatisfy { $0.source == $0.target } }

    public var defaultK: Int { defaultK(.standard) }

    /// The k a family's rule gives this relation.
    public func defaultK(_ rule: DefaultK) -> Int { isCopying ? rule.copying : rule.other }

    /// A relation file in the MAPS interchange format: a JSON array of
    /// two-element string arrays. The relation is named after the file's stem.
    public static func load(
        file path: String, name: String? = nil, title: String? = nil, category: String = "custom",
        isBuiltin: Bool = false
    ) throws -> Relation {
        let data = try InputFile.read(path, kind: "relation file", limit: InputFile.Limit.relation)
        let pairs = try parsePairs(data, path: path)
        let stem = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Relation(
            name: stem, title: title ?? Relation.defaultTitle(stem), category: category, pairs: pairs, origin: path,
            isBuiltin: isBuiltin)
    }

    /// The pairs of a MAPS-format file's contents.
    public static func parsePairs(_ data: Data, path: String) throws -> [Pair] {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw RelationError.notJSON(file: path)
        }
        guard let items = json as? [Any] else {
            throw RelationError.notAnArray(file: path, found: json is [String: Any] ? "an object" : "a single value")
        }
        guard items.count <= maximumPairs else {
            throw RelationError.tooManyPairs(file: path, count: items.count, limit: maximumPairs)
        }
        var pairs: [Pair] = []
        var firstIndex: [Pair: Int] = [:]
        for (i, item) in items.enumerated() {
            guard let pair = item as? [Any], pair.count == 2, let s = pair[0] as? String, let t = pair[1] as? String
            else {
                throw RelationError.notAPair(file: path, item: i, found: describe(item))
            }
            guard !s.trimmingCharacters(in: .whitespaces).isEmpty, !t.trimmingCharacters(in: .whitespaces).isEmpty
            else {
                throw RelationError.emptyString(file: path, item: i)
            }
            guard s.count <= maximumStringLength, t.count <= maximumStringLength else {
                throw RelationError.stringTooLong(file: path, item: i, limit: maximumStringLength)
            }
            let parsed = Pair(s, t)
            // A repeated pair would count twice in the score: the file is wrong, say where.
            if let first = firstIndex[parsed] {
                throw RelationError.duplicatePair(file: path, item: i, first: first, pair: describe([s, t]))
            }
            firstIndex[parsed] = i
            pairs.append(parsed)
        }
        guard !pairs.isEmpty else { throw RelationError.noPairs(file: path) }
        return pairs
    }

    /// Two relations of one name (a custom `copying.json` beside the built-in
    /// `copying`) would overwrite each other's maps: an error, naming both.
    public static func checkDistinctNames(_ relations: [Relation], file: String? = nil) throws {
        var seen: [String: Relation] = [:]
        for r in relations {
            if let other = seen[r.name] {
                let place = { (x: Relation) in x.isBuiltin ? "the built-in dataset" : x.origin }
                throw RelationError.givenTwice(spec: file, name: r.name, first: place(other), second: place(r))
            }
            seen[r.name] = r
        }
    }

    static func defaultTitle(_ name: String) -> String {
        let words = name.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    private static func describe(_ item: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [item], options: [.fragmentsAllowed]),
            var text = String(data: data, encoding: .utf8)
        else { return "\(item)" }
        text = String(text.dropFirst().dropLast())
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}
