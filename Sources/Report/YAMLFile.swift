import Core
import Foundation
import Yams

/// A YAML mapping read with the line of every value kept, so that every
/// error can say where it is; unknown keys are errors, not silently ignored.
public struct YAMLMapping {
    public let file: String
    let node: Node.Mapping
    let line: Int?
    let path: String

    public static func load(file: String) throws -> YAMLMapping {
        let text: String
        do {
            text = try InputFile.text(file, kind: "YAML file", limit: InputFile.Limit.yaml)
        } catch {
            throw SpecError(
                file: file, line: nil, key: nil, message: String(error.description.dropFirst(file.count + 2)))
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> YAMLMapping {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw SpecError(
                file: file, line: YAMLMapping.line(of: error), key: nil,
                message: "is not valid YAML: \(YAMLMapping.summary(of: error))")
        }
        guard let mapping = root?.mapping else {
            throw SpecError(
                file: file, line: root?.mark.map { $0.line }, key: nil, message: "must be a mapping of keys to values")
        }
        return YAMLMapping(file: file, node: mapping, line: root?.mark?.line, path: "")
    }

    func fail(_ key: String?, _ message: String, at node: Node? = nil) -> SpecError {
        let line =
            node?.mark?.line ?? key.flatMap { k in self.node.first { $0.key.string == k }?.key.mark?.line } ?? self.line
        return SpecError(file: file, line: line, key: key.map { path + $0 }, message: message)
    }

    /// Throws for any key not in `known`.
    public func allowKeys(_ known: [String]) throws {
        for (key, _) in node {
            guard let k = key.string, known.contains(k) else {
                // A key that is not a plain name is not quoted: the file may not be a spec at all.
                if let name = key.string.flatMap(Excerpt.plainName) {
                    throw SpecError(
                        file: file, line: key.mark?.line, key: path + name,
                        message: "unknown key; expected one of: \(known.joined(separator: ", "))")
                }
                throw SpecError(
                    file: file, line: key.mark?.line, key: nil,
                    message:
                        "has a key that is not a plain name (not shown); expected "
                        + "keys: \(known.joined(separator: ", "))"
                )
            }
        }
    }

    func value(_ key: String) -> Node? { node[key] }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v else { throw fail(key, "must be a string", at: v) }
        return s.string
    }

    public func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw fail(key, "is required") }
        return s
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = Bool.construct(from: v.scalar ?? .init("")) else {
            throw fail(key, "must be true or false", at: v)
        }
        return b
    }

    public func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        guard let s = v.scalar, let i = Int(s.string) else { throw fail(key, "must be an integer", at: v) }
        return i
    }

    public func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let s = v.scalar, let d = Double(s.string) else { throw fail(key, "must be a number", at: v) }
        return d
    }

    /// The raw text of each scalar in a sequence (so `20.10` stays "20.10").
    public func scalars(_ key: String) throws -> [(text: String, line: Int?)]? {
        guard let v = value(key) else { return nil }
        guard let seq = v.sequence else { throw fail(key, "must be a list", at: v) }
        return try seq.map { item in
            guard let s = item.scalar else { throw fail(key, "must be a list of plain values", at: item) }
            return (s.string, item.mark?.line)
        }
    }

    public func mapping(_ key: String) throws -> YAMLMapping? {
        guard let v = value(key) else { return nil }
        guard let m = v.mapping else { throw fail(key, "must be a mapping", at: v) }
        return YAMLMapping(file: file, node: m, line: v.mark?.line, path: "\(path)\(key).")
    }

    public func mappings(_ key: String) throws -> [YAMLMapping]? {
        guard let v = value(key) else { return nil }
        guard let seq = v.sequence else { throw fail(key, "must be a list", at: v) }
        return try seq.enumerated().map { i, item in
            guard let m = item.mapping else { throw fail(key, "item \(i + 1) must be a mapping", at: item) }
            return YAMLMapping(file: file, node: m, line: item.mark?.line, path: "\(path)\(key)[\(i + 1)].")
        }
    }

    public func error(_ key: String?, _ message: String) -> SpecError { fail(key, message) }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default: return "\(error)"
        }
    }
}
