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

    /// The same from stored bits of any weight type, without converting them.
    public static func count(stored raw: UnsafeRawPointer, dtype: DType, range: Range<Int>) -> Int {
        var bad = 0
        switch dtype {
        case .f32:
            for i in range {
                bad &+=
                    (raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian & 0x7F80_0000)
                        == 0x7F80_0000 ? 1 : 0
            }
        case .f16:
            for i in range {
                bad &+=
                    (raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian & 0x7C00) == 0x7C00 ? 1 : 0
            }
        case .bf16:
            for i in range {
                bad &+=
                    (raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian & 0x7F80) == 0x7F80 ? 1 : 0
            }
        default:
            preconditionFailure("not a weight type: \(dtype.rawValue)")
        }
        return bad
    }
}
