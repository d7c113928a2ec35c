import Foundation

/// Foundation's JSON parser returns `true` as an NSNumber that also casts to
/// 1 and 1.0, so a config with `"n_layer": true` would read as one layer.
/// Readers ask this first.
public enum JSONBoolean {
    private static let booleanType: ObjectIdentifier = {
        let sample = try! JSONSerialization.jsonObject(with: Data("[true]".utf8)) as! [Any]
        return ObjectIdentifier(type(of: sample[0] as AnyObject))
    }()

    public static func isBoolean(_ value: Any) -> Bool {
        value is NSNumber && ObjectIdentifier(type(of: value as AnyObject)) == booleanType
    }

    /// A JSON number that is not a boolean, as a Double.
    public static func number(_ value: Any?) -> Double? {
        guard let value, !isBoolean(value), let n = value as? NSNumber else { return nil }
        return n.doubleValue
    }

    /// A JSON number with an exact integer value (not a boolean, not 2.5).
    public static func integer(_ value: Any?) -> Int? {
        guard let d = number(value), d.magnitude < 9.0e15 else { return nil }
        return Int(exactly: d)
    }
}
