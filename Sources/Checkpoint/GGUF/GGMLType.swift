/// A GGUF tensor's element type (ggml's numbering), with how many values a
/// block holds and how many bytes it takes.
///
/// Every ggml type is named, so an error can say which one a file uses; the
/// ones `dequantize` reads are those of F32/F16/BF16 files and of the legacy
/// and k-quant mixes (`Q4_K_M`, `Q5_K_M`, `Q8_0`, …).
public struct GGMLType: Sendable, Equatable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let f32 = GGMLType(rawValue: 0), f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2), q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6), q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q2_K = GGMLType(rawValue: 10), q3_K = GGMLType(rawValue: 11), q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13), q6_K = GGMLType(rawValue: 14)
    public static let bf16 = GGMLType(rawValue: 30)

    /// Names by number, as ggml spells them (holes are numbers ggml retired).
    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K",
        12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S",
        20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
        29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]

    public var description: String { GGMLType.names[rawValue] ?? "type \(rawValue)" }

    /// The sizes of the types this reader names but does not convert.
    static let otherLayouts: [UInt32: (values: Int, bytes: Int)] = [
        9: (32, 36), 15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
        21: (256, 110),
        22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56),
        34: (256, 54),
        35: (256, 66), 39: (32, 17),
    ]

    /// The types `dequantize` reads.
    public static let readable: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K,
    ]
    public var isReadable: Bool { GGMLType.readable.contains(self) }

    /// (values per block, bytes per block) of every type ggml defines, read
    /// or not, so a file's layout can be checked whole; nil for a number ggml does not define.
    public var blockLayout: (values: Int, bytes: Int)? {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q5_0: return (32, 22)
        case .q5_1: return (32, 24)
        case .q8_0: return (32, 34)
        case .q2_K: return (256, 84)
        case .q3_K: return (256, 110)
        case .q4_K: return (256, 144)
        case .q5_K: return (256, 176)
        case .q6_K: return (256, 210)
        default: return GGMLType.otherLayouts[rawValue]
        }
    }
}

/// Dequantization, value for value what llama.cpp's reference (the `gguf`
/// package's `dequantize`) returns: every product and sum in float32, in the
/// same order, so the results agree bit for bit.
public enum GGMLDequantize {
    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        HalfPrecision.float(fromF16: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always) static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Writes the values of `blocks` consecutive blocks starting at `source` to `out`.
    public static func blocks(
        _ type: GGMLType, _ source: UnsafeRawPointer, count blocks: Int, into out: UnsafeMutablePointer<Float>
    ) {
        guard let layout = type.blockLayout else { preconditionFailure("\(type) is not readable") }
        for b in 0..<blocks {
            block(type, source + b * layout.bytes, into: out + b * layout.values)
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    @inline(__always) static func block(_ type: GGMLType, _ p: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>)
    {
        switch type {
        case .f32:
            out[0] = Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .f16:
            out[0] = half(p, 0)
        case .bf16:
            out[0] = HalfPrecision.float(fromBF16: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        case .q8_0:
            let d = half(p, 0)
            for i in 0..<32 { out[i] = Float(Int8(bitPattern: byte(p, 2 + i))) * d }
        case .q4_0, .q4_1:
            // Low nibbles are values 0–15, high nibbles 16–31.
            let d = half(p, 0)
            let m: Float = type == .q4_1 ? half(p, 2) : 0
            let qs = type == .q4_1 ? 4 : 2
            for j in 0..<16 {
                let q = byte(p, qs + j)
                if type == .q4_1 {
                    out[j] = d * Float(q & 0xF) + m
                    out[j + 16] = d * Float(q >> 4) + m
                } else {
                    out[j] = d * Float(Int(q & 0xF) - 8)
                    out[j + 16] = d * Float(Int(q >> 4) - 8)
                }
            }
        case .q5_0, .q5_1:
            // A fifth bit per value from a 32-bit mask: bit i for value i.
            let d = half(p, 0)
            let m: Float = type == .q5_1 ? half(p, 2) : 0
            let hOffset = type == .q5_1 ? 4 : 2
            let qh = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: hOffset, as: UInt32.self))
            for j in 0..<16 {
                let q = byte(p, hOffset + 4 + j)
                let lo = Int(q & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                if type == .q5_1 {
                    out[j] = d * Float(lo) + m
                    out[j + 16] = d * Float(hi) + m
                } else {
                    out[j] = d * Float(lo - 16)
                    out[j + 16] = d * Float(hi - 16)
                }
            }
        case .q2_K:
            // 16 groups of 16: a 4-bit scale and a 4-bit min each; values are 2 bits,
            // four to a byte, byte l of each 32-byte half giving values l, 32+l, 64+l, 96+l.
            let d = half(p, 80)
            let dmin = half(p, 82)
            for i in 0..<256 {
                let half = i / 128
                let shift = (i % 128) / 32
                let l = i % 32
                let q = Float((byte(p, 16 + half * 32 + l) >> UInt8(2 * shift)) & 3)
                let scale = byte(p, i / 16)
                let dl = d * Float(scale & 0xF)
                let ml = dmin * Float(scale >> 4)
                out[i] = dl * q - ml
            }
        case .q3_K:
            let d = half(p, 108)
            var scales = [Int8](repeating: 0, count: 16)
            for j in 0..<16 {
                let low = (byte(p, 96 + j % 8) >> UInt8(4 * (j / 8))) & 0xF
                let high = (byte(p, 104 + j % 4) >> UInt8(2 * (j / 4))) & 3
                scales[j] = Int8(Int(low | high << 4) - 32)
            }
            for i in 0..<256 {
                let half = i / 128
                let shift = (i % 128) / 32
                let l = i % 32
                let low = Int((byte(p, 32 + half * 32 + l) >> UInt8(2 * shift)) & 3)
                let mask = (byte(p, l) >> UInt8(i / 32)) & 1
                let q = Float(low - (mask == 0 ? 4 : 0))
                out[i] = (d * Float(scales[i / 16])) * q
            }
        case .q4_K, .q5_K:
            // 8 groups of 32 with 6-bit scales and mins packed in 12 bytes;
            // byte l of each 32-byte chunk gives values l (low nibble) and 32+l (high).
            let d = half(p, 0)
            let dmin = half(p, 2)
            let qs = type == .q5_K ? 48 : 16
            for g in 0..<8 {
                let (sc, mn) = scaleAndMin(p, group: g)
                let dg = d * Float(sc)
                let mg = dmin * Float(mn)
                for l in 0..<32 {
                    let i = g * 32 + l
                    let chunk = g / 2
                    let nibble = g % 2
                    var q = Int((byte(p, qs + chunk * 32 + l) >> UInt8(4 * nibble)) & 0xF)
                    if type == .q5_K { q |= Int((byte(p, 16 + l) >> UInt8(g)) & 1) << 4 }
                    out[i] = dg * Float(q) - mg
                }
            }
        case .q6_K:
            let d = half(p, 208)
            for i in 0..<256 {
                let half = i / 128
                let within = i % 128
                let lowShift = within / 64
                let l64 = within % 64
                let highShift = within / 32
                let l32 = within % 32
                let low = Int((byte(p, half * 64 + l64) >> UInt8(4 * lowShift)) & 0xF)
                let high = Int((byte(p, 128 + half * 32 + l32) >> UInt8(2 * highShift)) & 3)
                let q = Float(Int8(truncatingIfNeeded: low | high << 4) - 32)
                out[i] = (d * Float(Int8(bitPattern: byte(p, 192 + i / 16)))) * q
            }
        default:
            preconditionFailure("\(type) is not readable")
        }
    }

    /// Group `g`'s 6-bit scale and min from a k-quant's 12 packed bytes (at byte 4).
    @inline(__always) static func scaleAndMin(_ p: UnsafeRawPointer, group g: Int) -> (UInt8, UInt8) {
        let s = { (i: Int) in byte(p, 4 + i) }
        if g < 4 { return (s(g) & 63, s(4 + g) & 63) }
        let k = g - 4
        return ((s(8 + k) & 0xF) | ((s(k) >> 2) & 0x30), (s(8 + k) >> 4) | ((s(4 + k) >> 2) & 0x30))
    }
}
