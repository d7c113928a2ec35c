import Core
import Foundation
import LinearAlgebra

/// Counts NaN and ±Inf by their exponent bits, which vectorises (a float
/// comparison loop would not under strict IEEE semantics).
public enum NonFiniteValues {
    public static func count(_ values: UnsafeBufferPointer<Float>) -> Int {
        guard let base = values.baseAddress else { return 0 }
        return UnsafeRawPointer(base).withMemoryRebound(to: UInt32.self, capacity: values.count) { bits in
            var bad = 0
            for i in 0..<values.count { bad &+= (bits[i] & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0 }
            return bad
        }
    }

}
