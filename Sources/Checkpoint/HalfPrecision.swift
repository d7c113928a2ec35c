/// Conversions between `Float` and the 16-bit weight formats.
public enum HalfPrecision {
    @inlinable public static func float(fromF16 bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
    @inlinable public static func float(fromBF16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
    @inlinable public static func f16Bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }
    /// Round to nearest, ties to even, as PyTorch does.
    @inlinable public static func bf16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}
