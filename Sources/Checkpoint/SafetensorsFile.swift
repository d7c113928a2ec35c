import Core
import Foundation
import LinearAlgebra

/// Where one tensor lives inside a safetensors file.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte offsets relative to the start of the data section.
    public let dataOffsets: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file, memory-mapped and validated.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON
/// mapping tensor names to `{dtype, shape, data_offsets}`, then the data.
/// Everything the header claims is checked on open, so later reads can trust
/// the offsets; nothing is copied until a tensor is asked for.
public struct SafetensorsFile: Sendable {
    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    let file: MappedFile
    let dataStart: Int

    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        guard file.size >= 8 else {
            throw CheckpointError.header(
                file: path,
                problem: "is \(file.size) bytes long; a safetensors file starts with an 8-byte header length")
        }
        let headerLength = Int(clamping: file.bytes.loadUnaligned(as: UInt64.self).littleEndian)
        // The number is not quoted: for a file that is not safetensors at all,
        // it would be its first eight bytes in disguise.
        guard headerLength <= file.size - 8 else {
            throw CheckpointError.header(
                file: path,
                problem:
                    "its first 8 bytes do not give a header length within the file (\(file.size) bytes): not a "
                    + "safetensors file, or a truncated download"
            )
        }
        guard headerLength <= SafetensorsFile.maximumHeaderBytes else {
            throw CheckpointError.header(
                file: path,
                problem:
                    "header of \(headerLength) bytes is larger than the limit "
                    + "of \(SafetensorsFile.maximumHeaderBytes) (real headers are kilobytes)"
            )
        }
        dataStart = 8 + headerLength
        (tensors, metadata) = try SafetensorsFile.parseHeader(
            Data(bytes: file.bytes + 8, count: headerLength),
            dataSize: file.size - dataStart, path: path)
    }

    /// Limits far above real checkpoints (a Llama-3-70B shard's header is ~100 KB
    /// with a few hundred tensors), so a hostile header cannot exhaust memory.
    public static let maximumHeaderBytes = 64 << 20
    public static let maximumTensors = 100_000

    /// The JSON header, checked against a data section of `dataSize` bytes.
    public static func parseHeader(
        _ header: Data, dataSize: Int, path: String
    ) throws -> ([String: TensorInfo], [String: String]) {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw CheckpointError.header(
                file: path, problem: "header is not valid JSON (\(header.count) bytes after the length prefix)")
        }
        guard let object = json as? [String: Any] else {
            throw CheckpointError.header(file: path, problem: "header is JSON but not an object of tensor entries")
        }
        return try parseEntries(object, dataSize: dataSize, path: path)
    }

    static func parseEntries(
        _ object: [String: Any], dataSize: Int, path: String
    ) throws -> ([String: TensorInfo], [String: String]) {
        let tensorCount = object.count - (object["__metadata__"] == nil ? 0 : 1)
        guard tensorCount <= maximumTensors else {
            throw CheckpointError.header(
                file: path,
                problem: "header lists \(tensorCount) entries, more than the limit of \(maximumTensors) tensors")
        }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw CheckpointError.header(file: path, problem: "__metadata__ is not an object")
                }
                for (k, v) in m { metadata[k] = (v as? String) ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw CheckpointError.badEntry(file: path, tensor: name, problem: "entry is not an object")
            }
            guard let dtypeName = entry["dtype"] as? String else {
                throw CheckpointError.badEntry(file: path, tensor: name, problem: "missing string 'dtype'")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name,
                    problem:
                        "unsupported dtype '\(Excerpt.short(dtypeName))' "
                        + "(known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard let shape = JSONInts.array(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name, problem: "'shape' must be an array of non-negative integers")
            }
            guard let offsets = JSONInts.array(entry["data_offsets"]), offsets.count == 2 else {
                throw CheckpointError.badEntry(file: path, tensor: name, problem: "'data_offsets' must be [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name,
                    problem: "data_offsets [\(begin), \(end)] lie outside the data section of \(dataSize) bytes")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, dim in
                let (p, o) = acc.0.multipliedReportingOverflow(by: dim)
                return (p, acc.1 || o)
            }
            guard !overflow, elements.multipliedReportingOverflow(by: dtype.byteSize).overflow == false,
                elements * dtype.byteSize == end - begin
            else {
                throw CheckpointError.badEntry(
                    file: path, tensor: name,
                    problem:
                        "shape \(shape) of \(dtype.rawValue) "
                        + "needs \(overflow ? "too many" : String(elements * dtype.byteSize)) bytes, data_offsets "
                        + "give \(end - begin)"
                )
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
        }
        try checkCoverage(tensors.values, dataSize: dataSize, path: path)
        return (tensors, metadata)
    }

    /// The tensors must tile the data section exactly: no overlap, no gap.
    static func checkCoverage<S: Sequence>(_ infos: S, dataSize: Int, path: String) throws
    where S.Element == TensorInfo {
        let sorted = infos.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < (
                $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound
            )
        }
        var position = 0
        var previous: String?
        for info in sorted {
            if info.dataOffsets.lowerBound < position {
                throw CheckpointError.header(
                    file: path,
                    problem:
                        "tensor '\(info.name)' overlaps '\(previous ?? "?")' (starts at "
                        + "byte \(info.dataOffsets.lowerBound), previous ends at \(position))"
                )
            }
            if info.dataOffsets.lowerBound > position {
                throw CheckpointError.header(
                    file: path,
                    problem:
                        "bytes \(position)..<\(info.dataOffsets.lowerBound) of the data section belong to no tensor")
            }
            position = info.dataOffsets.upperBound
            previous = info.name
        }
        if position != dataSize {
            throw CheckpointError.header(
                file: path, problem: "the data section has \(dataSize) bytes but the tensors cover \(position)")
        }
    }

    /// A tensor's values as `Float`: a view of the mapping when stored as
    /// aligned F32, a converted copy otherwise.
    ///
    /// A conversion reads the mapping in chunks and hands each chunk's pages
    /// back once converted, so a 16-bit checkpoint's pages do not stay
    /// resident beside their `Float` copies (on Llama-3.1-8B that would add
    /// the whole 16 GB file to the process's memory as it is read).
    public func floats(_ info: TensorInfo) throws -> FloatTensor {
        try checkWeightType(info)
        let tensor: FloatTensor
        if info.dtype == .f32, Int(bitPattern: rawStart(info)) % MemoryLayout<Float>.alignment == 0 {
            tensor = FloatTensor(
                shape: info.shape, mapped: rawStart(info).assumingMemoryBound(to: Float.self), count: info.elementCount,
                owner: file)
        } else {
            tensor = FloatTensor(shape: info.shape, converting: info.elementCount, chunkedConverter(info))
        }
        // A conversion that ran into pages of a shrunken file read zeros (the
        // SIGBUS guard's doing): the check after it catches both cases.
        try file.checkUnchanged()
        let bad = NonFiniteValues.count(tensor.values)
        guard bad == 0 else {
            throw CheckpointError.nonFinite(file: path, tensor: info.name, count: bad, of: info.elementCount)
        }
        return tensor
    }

    /// A tensor converted only where it is read: rows on demand, the whole
    /// matrix only if asked for. Its values are checked for NaN and ±Inf now,
    /// from the stored bits.
    public func deferredFloats(_ info: TensorInfo) throws -> FloatTensor {
        try checkWeightType(info)
        if info.dtype == .f32 { return try floats(info) }
        var bad = 0
        forEachChunk(of: info, in: 0..<info.elementCount) { chunk in
            bad += NonFiniteValues.count(stored: rawStart(info), dtype: info.dtype, range: chunk)
        }
        try file.checkUnchanged()
        guard bad == 0 else {
            throw CheckpointError.nonFinite(file: path, tensor: info.name, count: bad, of: info.elementCount)
        }
        // Rows read later hand their pages back too: head cards read every row of a 128k vocabulary.
        return FloatTensor(shape: info.shape, deferring: info.elementCount, owner: file, chunkedConverter(info))
    }

    /// Throws if the file changed under its mapping since it was opened.
    public func checkUnchanged() throws { try file.checkUnchanged() }

    private func checkWeightType(_ info: TensorInfo) throws {
        guard info.dtype.isWeightType else {
            throw CheckpointError.wrongDType(file: path, tensor: info.name, found: info.dtype.rawValue)
        }
    }

    private func rawStart(_ info: TensorInfo) -> UnsafeRawPointer {
        file.bytes + dataStart + info.dataOffsets.lowerBound
    }

    /// Runs `body` on `range` in chunks of 16 Mi elements, handing each
    /// chunk's pages of the mapping back to the kernel after it.
    private func forEachChunk(of info: TensorInfo, in range: Range<Int>, _ body: (Range<Int>) -> Void) {
        let step = 1 << 24
        let size = info.dtype.byteSize
        for lo in stride(from: range.lowerBound, to: range.upperBound, by: step) {
            let chunk = lo..<min(range.upperBound, lo + step)
            body(chunk)
            file.release(
                dataStart + info.dataOffsets.lowerBound + chunk.lowerBound * size..<dataStart
                    + info.dataOffsets.lowerBound + chunk.upperBound * size)
        }
    }

    /// Converts elements `range` into `Float`s at `destination` a chunk at a
    /// time, handing each chunk's pages back after it (`forEachChunk`).
    private func chunkedConverter(_ info: TensorInfo) -> (Range<Int>, UnsafeMutablePointer<Float>) -> Void {
        let convert = converter(info)
        return { range, destination in
            forEachChunk(of: info, in: range) { chunk in
                convert(chunk, destination + (chunk.lowerBound - range.lowerBound))
            }
        }
    }

    /// Converts elements `range` of a stored tensor into `Float`s at `destination`.
    private func converter(_ info: TensorInfo) -> (Range<Int>, UnsafeMutablePointer<Float>) -> Void {
        let raw = rawStart(info)
        switch info.dtype {
        case .f32:
            return { range, out in
                for (o, i) in range.enumerated() {
                    out[o] = Float(
                        bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
        case .f16:
            return { range, out in
                for (o, i) in range.enumerated() {
                    out[o] = HalfPrecision.float(
                        fromF16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        case .bf16:
            return { range, out in
                for (o, i) in range.enumerated() {
                    out[o] = HalfPrecision.float(
                        fromBF16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        default:
            fatalError("unreachable: checked isWeightType")
        }
    }
}

enum JSONInts {
    /// Whole numbers only: fractional numbers and non-numbers are rejected.
    static func array(_ value: Any?) -> [Int]? {
        guard let items = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in items {
            guard let i = JSONBoolean.integer(item) else { return nil }
            out.append(i)
        }
        return out
    }
}
