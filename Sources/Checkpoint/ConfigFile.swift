import Core
import Foundation

/// `config.json`, with typed accessors whose errors name the key.
public struct ConfigFile: Sendable {
    public let path: String
    private let object: [String: any Sendable]

    public init(path: String) throws {
        let data: Data
        do {
            data = try InputFile.read(path, kind: "config.json", limit: InputFile.Limit.smallJSON)
        } catch .missing {
            throw CheckpointError.configMissing(file: path)
        }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String) throws {
        self.path = path
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw CheckpointError.configNotJSON(file: path)
        }
        guard let object = json as? [String: Any] else {
            throw CheckpointError.configNotObject(file: path)
        }
        self.object = object.compactMapValues { ConfigFile.sendable($0) }
    }

    private static func sendable(_ value: Any) -> (any Sendable)? {
        switch value {
        case let s as String: return s
        case _ where JSONBoolean.isBoolean(value): return (value as? Bool) ?? false
        case let n as NSNumber: return n.doubleValue
        case let a as [Any]: return a.compactMap { sendable($0) }
        case let o as [String: Any]: return o.compactMapValues { sendable($0) }
        default: return nil
        }
    }

    /// `model_type`, or "" when the config has none.
    public var modelType: String { (object["model_type"] as? String) ?? "" }

    public func has(_ key: String) -> Bool { object[key] != nil }

    public func int(_ key: String) throws -> Int {
        guard let value = object[key] else {
            throw CheckpointError.missingKey(file: path, key: key, expected: "an integer")
        }
        guard !(value is Bool), let d = value as? Double, let i = Int(exactly: d), i > 0 else {
            throw CheckpointError.wrongType(
                file: path, key: key, expected: "a positive integer", found: Excerpt.short(String(reflecting: value)))
        }
        return i
    }

    public func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        guard let value = object[key] else {
            if let fallback { return fallback }
            throw CheckpointError.missingKey(file: path, key: key, expected: "a number")
        }
        guard !(value is Bool), let d = value as? Double else {
            throw CheckpointError.wrongType(
                file: path, key: key, expected: "a number", found: Excerpt.short(String(reflecting: value)))
        }
        return d
    }

    public func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard let value = object[key] else {
            if let fallback { return fallback }
            throw CheckpointError.missingKey(file: path, key: key, expected: "a string")
        }
        guard let s = value as? String else {
            throw CheckpointError.wrongType(
                file: path, key: key, expected: "a string", found: Excerpt.short(String(reflecting: value)))
        }
        return s
    }

    public func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        guard let value = object[key] else {
            if let fallback { return fallback }
            throw CheckpointError.missingKey(file: path, key: key, expected: "true or false")
        }
        guard let b = value as? Bool else {
            throw CheckpointError.wrongType(
                file: path, key: key, expected: "true or false", found: Excerpt.short(String(reflecting: value)))
        }
        return b
    }

    public func strings(_ key: String) -> [String] {
        ((object[key] as? [any Sendable]) ?? []).compactMap { $0 as? String }
    }

    /// A list of non-negative integers (layer indices).
    public func ints(_ key: String) throws -> [Int] {
        guard let list = object[key] as? [any Sendable] else {
            throw CheckpointError.wrongType(
                file: path, key: key, expected: "a list of integers",
                found: Excerpt.short(String(reflecting: object[key] ?? "nothing")))
        }
        return try list.map { value in
            guard !(value is Bool), let d = value as? Double, let i = Int(exactly: d), i >= 0 else {
                throw CheckpointError.wrongType(
                    file: path, key: key, expected: "a list of non-negative integers",
                    found: Excerpt.short(String(reflecting: value)))
            }
            return i
        }
    }

    /// A nested object (`rope_scaling`, …) as a config of its own, whose
    /// errors name it: "config.json › rope_scaling".
    public func section(_ key: String) -> ConfigFile? {
        guard let nested = object[key] as? [String: any Sendable] else { return nil }
        return ConfigFile(path: "\(path) › \(key)", object: nested)
    }

    /// The same config with `key` set to `value` where it has none.
    public func setting(_ key: String, default value: String) -> ConfigFile {
        var object = self.object
        if object[key] == nil { object[key] = value }
        return ConfigFile(path: path, object: object)
    }

    private init(path: String, object: [String: any Sendable]) {
        self.path = path
        self.object = object
    }
}
