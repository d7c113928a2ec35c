import Core
import Foundation

/// A GGUF file (llama.cpp's format, versions 2 and 3), memory-mapped and
/// validated on open: the metadata, and where each tensor lies.
///
/// Layout: magic `GGUF`, version, tensor count, metadata count; metadata as
/// (key, type, value); tensor infos as (name, dimensions innermost first,
/// type, offset into the data section); the data section starts at the next
/// multiple of `general.alignment` (32 by default). Every length is checked
/// against the bytes left before anything is allocated, so a hostile header
/// costs no more memory than the file's own size.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    /// In file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    let file: MappedFile
    let dataStart: Int

    public static let magic: UInt32 = 0x4655_4747  // "GGUF", little-endian
    /// Far above real files (a 70B model has under 1,000 tensors and 50 keys).
    public static let maximumTensors = 100_000
    public static let maximumKeys = 100_000
    public static let maximumDimensions = 4

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        let header = try GGUFFile.parseHeader(file.bytes, size: file.size, path: path)
        (version, metadata, tensors, alignment, dataStart) = (
            header.version, header.metadata, header.tensors, header.alignment, header.dataStart
        )
    }

    /// What the header of a file of `size` bytes at `bytes` says, checked
    /// against the file: every tensor's data lies inside it, aligned, and no
    /// two overlap.
    public static func parseHeader(
        _ bytes: UnsafeRawPointer, size: Int, path: String
    ) throws
        -> (version: UInt32, metadata: [String: GGUFValue], tensors: [GGUFTensorInfo], alignment: Int, dataStart: Int)
    {
        var reader = GGUFReader(bytes: bytes, size: size, path: path)
        func fail(_ problem: String) -> CheckpointError { .header(file: path, problem: problem) }
        guard size >= 24 else { throw fail("is \(size) bytes long; a GGUF file starts with a 24-byte header") }
        let magic = try reader.u32("the magic number")
        guard magic == GGUFFile.magic else {
            throw fail("does not start with the GGUF magic bytes: not a GGUF file")
        }
        let version = try reader.u32("the version")
        guard version == 2 || version == 3 else {
            let hint =
                version == 1
                ? " (version 1 files predate 2023-08; convert the model again)"
                : version > 0xFFFF ? " (a big-endian file?)" : ""
            throw fail("is GGUF version \(version); versions 2 and 3 are read\(hint)")
        }
        let tensorCount = try reader.count("the tensor count", limit: GGUFFile.maximumTensors)
        let keyCount = try reader.count("the metadata count", limit: GGUFFile.maximumKeys)
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try reader.string("a metadata key")
            let value = try reader.value(key: key)
            guard metadata[key] == nil else { throw fail("metadata key '\(Excerpt.short(key))' appears twice") }
            metadata[key] = value
        }
        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.integer, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw fail("metadata 'general.alignment' is \(value), expected a power of two")
            }
            alignment = a
        }
        var tensors: [GGUFTensorInfo] = []
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let name = try reader.string("a tensor name")
            let rank = Int(try reader.u32("tensor '\(name)''s dimension count"))
            guard rank >= 1, rank <= GGUFFile.maximumDimensions else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name,
                    problem: "has \(rank) dimensions; 1 to \(GGUFFile.maximumDimensions) are allowed")
            }
            var dims: [Int] = []
            for _ in 0..<rank { dims.append(try reader.count("tensor '\(name)''s dimensions", limit: Int.max)) }
            let type = GGMLType(rawValue: try reader.u32("tensor '\(name)''s type"))
            guard type.blockLayout != nil else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name, problem: "has type \(type.rawValue), which ggml does not define")
            }
            let offset = try reader.count("tensor '\(name)''s offset", limit: Int.max)
            guard names.insert(name).inserted else {
                throw CheckpointError.badEntry(file: path, tensor: name, problem: "appears twice")
            }
            tensors.append(try GGUFTensorInfo(name: name, dimensions: dims, type: type, offset: offset, path: path))
        }
        let dataStart = (reader.position + alignment - 1) / alignment * alignment
        guard dataStart <= size else {
            throw fail("the data section would start at byte \(dataStart), past the end (\(size) bytes)")
        }
        let dataSize = size - dataStart
        for info in tensors {
            guard info.offset % alignment == 0 else {
                throw CheckpointError.badEntry(
                    file: path, tensor: info.name,
                    problem: "offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= dataSize, info.byteCount <= dataSize - info.offset else {
                throw CheckpointError.badEntry(
                    file: path, tensor: info.name,
                    problem:
                        "its data (\(info.byteCount) bytes at offset \(info.offset)) runs past the end of the file "
                        + "(data section of \(dataSize) bytes)"
                )
            }
        }
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw CheckpointError.badEntry(
                file: path, tensor: b.name,
                problem:
                    "overlaps tensor '\(a.name)' (starts at \(b.offset), '\(a.name)' ends at \(a.offset + a.byteCount))"
            )
        }
        return (version, metadata, tensors, alignment, dataStart)
    }

    public func checkUnchanged() throws { try file.checkUnchanged() }

    /// Every value of `info` as stored (rows of its innermost dimension, in file order), dequantized.
    public func floats(_ info: GGUFTensorInfo) throws -> [Float] {
        guard info.type.isReadable else { throw GGUFFile.unreadable(info, path: path) }
        var out = [Float](repeating: 0, count: info.elementCount)
        out.withUnsafeMutableBufferPointer { dequantize(info, rows: 0..<info.rowCount, into: $0.baseAddress!) }
        try checkUnchanged()
        return out
    }

    static func unreadable(_ info: GGUFTensorInfo, path: String) -> CheckpointError {
        .badEntry(
            file: path, tensor: info.name,
            problem:
                "has type \(info.type); readable types "
                + "are \(GGMLType.readable.map(\.description).joined(separator: ", "))"
        )
    }

    /// Converts rows `range` of `info` (rows of its innermost dimension) into `Float`s at `out`.
    func dequantize(_ info: GGUFTensorInfo, rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let layout = info.type.blockLayout!
        let blocksPerRow = info.rowLength / layout.values
        let start = file.bytes + dataStart + info.offset + rows.lowerBound * blocksPerRow * layout.bytes
        GGMLDequantize.blocks(info.type, start, count: rows.count * blocksPerRow, into: out)
    }

    /// Hands the pages of rows `range` back after they were converted.
    func release(_ info: GGUFTensorInfo, rows: Range<Int>) {
        let rowBytes = info.byteCount / max(1, info.rowCount)
        file.release(
            dataStart + info.offset + rows.lowerBound * rowBytes..<dataStart + info.offset + rows.upperBound * rowBytes)
    }
}

/// Where one tensor lies in a GGUF file.
public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// As stored: innermost (contiguous) first.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Bytes from the start of the data section.
    public let offset: Int
    public let elementCount: Int

    init(name: String, dimensions: [Int], type: GGMLType, offset: Int, path: String) throws {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        var count = 1
        for d in dimensions {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= 1 << 40 else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name, problem: "dimensions \(dimensions) hold more than 2⁴⁰ values")
            }
            count = p
        }
        elementCount = count
        if let layout = type.blockLayout, dimensions[0] % layout.values != 0 {
            throw CheckpointError.badEntry(
                file: path, tensor: name,
                problem: "rows of \(dimensions[0]) values are not whole \(type) blocks of \(layout.values)")
        }
    }

    /// The shape as a row-major array (outermost first), as safetensors and numpy write it.
    public var shape: [Int] { dimensions.reversed() }
    public var rowLength: Int { dimensions[0] }
    public var rowCount: Int { dimensions[0] == 0 ? 0 : elementCount / dimensions[0] }

    /// The bytes its data takes.
    public var byteCount: Int {
        let layout = type.blockLayout!
        return elementCount / layout.values * layout.bytes
    }
}

/// A metadata value.
public enum GGUFValue: Sendable, CustomStringConvertible {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    public var integer: Int? {
        switch self {
        case .unsigned(let u): return Int(exactly: u)
        case .signed(let s): return Int(exactly: s)
        default: return nil
        }
    }

    public var number: Double? {
        switch self {
        case .unsigned(let u): return Double(u)
        case .signed(let s): return Double(s)
        case .float(let f): return f
        default: return nil
        }
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [GGUFValue]? { if case .array(let a) = self { return a } else { return nil } }

    public var description: String {
        switch self {
        case .unsigned(let u): return "\(u)"
        case .signed(let s): return "\(s)"
        case .float(let f): return "\(f)"
        case .bool(let b): return "\(b)"
        case .string(let s): return "'\(Excerpt.short(s))'"
        case .array(let a): return "an array of \(a.count)"
        }
    }
}

/// Reads a GGUF header front to back, every length checked against what is left.
struct GGUFReader {
    let bytes: UnsafeRawPointer
    let size: Int
    let path: String
    var position = 0

    func fail(_ problem: String) -> CheckpointError { .header(file: path, problem: problem) }

    mutating func take(_ n: Int, _ what: String) throws -> UnsafeRawPointer {
        guard n >= 0, n <= size - position else {
            throw fail("\(what) runs past the end of the file (byte \(position) + \(n) of \(size)): truncated?")
        }
        defer { position += n }
        return bytes + position
    }

    mutating func u32(_ what: String) throws -> UInt32 {
        UInt32(littleEndian: try take(4, what).loadUnaligned(as: UInt32.self))
    }
    mutating func u64(_ what: String) throws -> UInt64 {
        UInt64(littleEndian: try take(8, what).loadUnaligned(as: UInt64.self))
    }

    /// A 64-bit count or size, at most `limit`.
    mutating func count(_ what: String, limit: Int) throws -> Int {
        let v = try u64(what)
        guard v <= UInt64(limit) else { throw fail("\(what) is \(v), more than the limit of \(limit)") }
        return Int(v)
    }

    mutating func string(_ what: String) throws -> String {
        let n = try count("the length of \(what)", limit: size - position)
        let p = try take(n, what)
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    mutating func value(key: String) throws -> GGUFValue {
        let type = try u32("the type of '\(key)'")
        return try value(type: type, key: key, depth: 0)
    }

    /// The smallest size an element of `type` takes, to bound array lengths before allocating.
    static func minimumSize(_ type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        default: return 8
        }
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of '\(Excerpt.short(key))'"
        switch type {
        case 0: return .unsigned(UInt64(try take(1, what).load(as: UInt8.self)))
        case 1: return .signed(Int64(try take(1, what).load(as: Int8.self)))
        case 2: return .unsigned(UInt64(UInt16(littleEndian: try take(2, what).loadUnaligned(as: UInt16.self))))
        case 3: return .signed(Int64(Int16(littleEndian: try take(2, what).loadUnaligned(as: Int16.self))))
        case 4: return .unsigned(UInt64(try u32(what)))
        case 5: return .signed(Int64(Int32(bitPattern: try u32(what))))
        case 6: return .float(Double(Float(bitPattern: try u32(what))))
        case 7:
            let b = try take(1, what).load(as: UInt8.self)
            guard b <= 1 else { throw fail("\(what) is a bool stored as \(b), not 0 or 1") }
            return .bool(b == 1)
        case 8: return .string(try string(what))
        case 9:
            guard depth == 0 else { throw fail("\(what) nests arrays inside arrays") }
            let elementType = try u32("the element type of '\(key)'")
            guard elementType <= 12, elementType != 9 else {
                throw fail("\(what) is an array of unknown type \(elementType)")
            }
            let n = try count("the length of '\(key)'", limit: (size - position) / GGUFReader.minimumSize(elementType))
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(items)
        case 10: return .unsigned(try u64(what))
        case 11: return .signed(Int64(bitPattern: try u64(what)))
        case 12: return .float(Double(bitPattern: try u64(what)))
        default: throw fail("\(what) has unknown type \(type)")
        }
    }
}
