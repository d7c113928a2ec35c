import Core
import Foundation

/// Writes safetensors files the way Hugging Face does: tensors in name order,
/// header padded with spaces to a multiple of 8 bytes so F32 data is aligned.
///
/// Values are produced one tensor at a time, so a 1.4 GB checkpoint is never
/// held in memory; the file appears under its name only once complete.
public struct SafetensorsWriter {
    public struct Entry {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
    }

    public static func write(
        to path: String, entries: [Entry], metadata: [String: String] = ["format": "pt"],
        values: (Entry) throws -> [Float]
    ) throws {
        let sorted = entries.sorted { $0.name < $1.name }
        var offset = 0
        var header = "{"
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(JSONString.quoted($0)):\(JSONString.quoted(metadata[$0]!))" }
            header += "\"__metadata__\":{\(items.joined(separator: ","))}"
        }
        for entry in sorted {
            let bytes = entry.shape.reduce(1, *) * entry.dtype.byteSize
            if header.count > 1 { header += "," }
            header +=
                "\(JSONString.quoted(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\","
                + "\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }

        try AtomicFile.write(to: path) { handle in
            var length = UInt64(headerBytes.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: Data(headerBytes))
            for entry in sorted {
                let floats = try values(entry)
                guard floats.count == entry.shape.reduce(1, *) else {
                    throw CheckpointError.writer(
                        file: path,
                        problem: "writer was given \(floats.count) values for '\(entry.name)' of shape \(entry.shape)")
                }
                try handle.write(contentsOf: encode(floats, as: entry.dtype))
            }
        }
    }

    public static func encode(_ values: [Float], as dtype: DType) -> Data {
        switch dtype {
        case .f32:
            return values.withUnsafeBufferPointer { Data(buffer: $0) }
        case .f16:
            return values.map { HalfPrecision.f16Bits($0).littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
        case .bf16:
            return values.map { HalfPrecision.bf16Bits($0).littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
        default:
            preconditionFailure("writer handles weight dtypes only, not \(dtype.rawValue)")
        }
    }
}
