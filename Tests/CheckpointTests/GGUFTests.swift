import Checkpoint
import Foundation
import HeadMapsTestSupport
import XCTest

/// GGUF files: every type dequantized bit for bit as llama.cpp's reference
/// (the `gguf` package) does, and every malformed header a named error.
final class GGUFTests: XCTestCase {
    static let fixture = TestSupport.repositoryRoot + "/fixtures/gguf/quant-types.gguf"

    /// `fixtures/gguf/quant-types.gguf` holds one tensor per readable type of
    /// random blocks; `quant-types.expected.f32` is what `gguf.quants.dequantize`
    /// returns for them (`Tests/crosscheck/make_gguf_quant_fixture.py`).
    func testEveryTypeDequantizesBitForBitAsTheReference() throws {
        let file = try GGUFFile(path: Self.fixture)
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.metadata["general.architecture"]?.string, "llama")
        let expected = try Data(contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/fixtures/gguf/quant-types.expected.f32"))
        let values = expected.withUnsafeBytes { raw in (0..<(expected.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self) } }
        XCTAssertEqual(file.tensors.map(\.type.description), GGMLType.readable.map(\.description).sorted { a, b in
            file.tensors.firstIndex { $0.type.description == a }! < file.tensors.firstIndex { $0.type.description == b }!
        })
        XCTAssertEqual(Set(file.tensors.map(\.type.description)), Set(GGMLType.readable.map(\.description)), "every readable type is checked")
        var at = 0
        for info in file.tensors {
            XCTAssertEqual(info.shape, [2, 512], info.name)
            let ours = try file.floats(info)
            let mismatches = ours.indices.filter { ours[$0].bitPattern != values[at + $0] }
            XCTAssertEqual(mismatches.count, 0, "\(info.type): first at \(mismatches.first.map { "\($0): \(ours[$0]) vs \(Float(bitPattern: values[at + $0]))" } ?? "")")
            at += ours.count
        }
        XCTAssertEqual(at, values.count)
    }

    // MARK: - Malformed files

    /// A GGUF header written field by field.
    struct Writer {
        var bytes = Data()
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes.append(contentsOf: Array(s.utf8)) }
        mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
            bytes.append(contentsOf: Array("GGUF".utf8)); u32(version); u64(tensors); u64(keys)
        }
        mutating func stringKey(_ key: String, _ value: String) { string(key); u32(8); string(value) }
        mutating func tensor(_ name: String, dims: [UInt64], type: UInt32 = 0, offset: UInt64) {
            string(name); u32(UInt32(dims.count)); dims.forEach { u64($0) }; u32(type); u64(offset)
        }
        /// Pads to the 32-byte alignment and appends `count` bytes of data.
        mutating func data(_ count: Int) {
            while bytes.count % 32 != 0 { bytes.append(0) }
            bytes.append(Data(count: count))
        }
    }

    func assertRefused(_ build: (inout Writer) -> Void, mentions expected: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        var writer = Writer()
        build(&writer)
        let path = TestSupport.temporaryDirectory("gguf-bad") + "/bad.gguf"
        try writer.bytes.write(to: URL(fileURLWithPath: path))
        do {
            let gguf = try GGUFFile(path: path)
            for info in gguf.tensors { _ = try gguf.floats(info) }
            XCTFail("accepted: \(expected)", file: file, line: line)
        } catch let error as CheckpointError {
            let text = error.description
            XCTAssertTrue(text.contains(path), "names the file: \(text)", file: file, line: line)
            for word in expected { XCTAssertTrue(text.contains(word), "'\(word)' in: \(text)", file: file, line: line) }
        }
    }

    func testMalformedFilesAreErrorsNamingTheFileAndTheKeyOrTensor() throws {
        try assertRefused({ $0.bytes = Data("GGUF".utf8) }, mentions: ["24-byte header"])
        try assertRefused({ $0.bytes = Data(repeating: 7, count: 40) }, mentions: ["not a GGUF file"])
        try assertRefused({ $0.header(version: 1, tensors: 0, keys: 0) }, mentions: ["version 1"])
        try assertRefused({ $0.header(tensors: 0, keys: 1); $0.string("general.name") }, mentions: ["general.name", "past the end"])
        try assertRefused({ $0.header(tensors: 0, keys: 1); $0.string("k"); $0.u32(8); $0.u64(1 << 40) }, mentions: ["the length of the value of 'k'"])
        try assertRefused({ $0.header(tensors: 0, keys: 1); $0.string("tokens"); $0.u32(9); $0.u32(8); $0.u64(1 << 40) },
                          mentions: ["the length of 'tokens'", "more than the limit"])
        try assertRefused({ $0.header(tensors: 0, keys: 1); $0.string("k"); $0.u32(99) }, mentions: ["'k'", "unknown type 99"])
        try assertRefused({ $0.header(tensors: 0, keys: 2); $0.stringKey("k", "a"); $0.stringKey("k", "b") }, mentions: ["'k' appears twice"])
        try assertRefused({ $0.header(tensors: UInt64.max, keys: 0) }, mentions: ["the tensor count", "limit"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [4, 4], offset: 0); $0.data(32) },
                          mentions: ["'w'", "runs past the end"])
        try assertRefused({ $0.header(tensors: 2, keys: 0); $0.tensor("a", dims: [16], offset: 0); $0.tensor("b", dims: [16], offset: 32); $0.data(128) },
                          mentions: ["'b'", "overlaps tensor 'a'"])
        try assertRefused({ $0.header(tensors: 2, keys: 0); $0.tensor("a", dims: [8], offset: 0); $0.tensor("a", dims: [8], offset: 32); $0.data(64) },
                          mentions: ["'a'", "appears twice"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [1, 1, 1, 1, 1], offset: 0); $0.data(4) },
                          mentions: ["'w'", "5 dimensions"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [1 << 32, 1 << 32], offset: 0); $0.data(4) },
                          mentions: ["'w'", "more than 2⁴⁰ values"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [32], type: 16, offset: 0); $0.data(64) },
                          mentions: ["'w'", "IQ2_XXS"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [8], type: 99, offset: 0); $0.data(64) },
                          mentions: ["'w'", "type 99, which ggml does not define"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [8], offset: 4); $0.data(64) },
                          mentions: ["'w'", "not a multiple of the alignment"])
        try assertRefused({ $0.header(tensors: 1, keys: 0); $0.tensor("w", dims: [40], type: 8, offset: 0); $0.data(64) },
                          mentions: ["'w'", "not whole Q8_0 blocks"])
    }

    func testAnArchitectureWithNoAdapterIsAnErrorListingThoseRead() throws {
        var writer = Writer()
        writer.header(tensors: 0, keys: 1)
        writer.stringKey("general.architecture", "mamba")
        writer.data(32)
        let path = TestSupport.temporaryDirectory("gguf-mamba") + "/mamba.gguf"
        try writer.bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CheckpointDirectory(path: path)) { error in
            let text = "\(error)"
            for word in [path, "general.architecture 'mamba'", "gpt2", "gptneox", "llama", "phi2"] {
                XCTAssertTrue(text.contains(word), "'\(word)' in: \(text)")
            }
        }
    }

    /// A folder with no config.json and one GGUF file is that file; with two, the user must name one.
    func testAFolderHoldingOneGGUFFileIsThatModel() throws {
        let dir = TestSupport.temporaryDirectory("gguf-folder")
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir + "/model.gguf")
        XCTAssertEqual(try CheckpointDirectory.ggufFile(at: dir), dir + "/model.gguf")
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: dir + "/other.gguf")
        XCTAssertThrowsError(try CheckpointDirectory.ggufFile(at: dir)) { error in
            XCTAssertTrue("\(error)".contains("holds 2 GGUF files"), "\(error)")
        }
    }
}

/// The real file: what the `gguf` package's dequantization gives, bit for bit.
final class SmolLM2DequantizationTests: XCTestCase {
    func testTheRealFileDequantizesAsTheGGUFPackageDoes() throws {
        let path = try TestSupport.smollm2()
        let file = try GGUFFile(path: path)
        let names = ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "blk.0.attn_norm.weight", "output_norm.weight"]
        let out = TestSupport.temporaryDirectory("smollm2-dequant")
        let script = """
        import sys, numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize
        r = GGUFReader(sys.argv[1])
        for t in r.tensors:
            if t.name in sys.argv[3:]:
                dequantize(t.data, t.tensor_type).astype('<f4').tofile(sys.argv[2] + '/' + t.name)
        """
        let result = try TestSupport.python(["-c", script, path, out] + names)
        XCTAssertEqual(result.status, 0, "the gguf package (scripts/install-deps --tests installs it): \(result.stderr)")
        var types: [String] = []
        for name in names {
            let info = try XCTUnwrap(file.tensors.first { $0.name == name })
            types.append(info.type.description)
            let ours = try file.floats(info)
            let theirs = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
            XCTAssertEqual(theirs.count, ours.count * 4, name)
            let differing = theirs.withUnsafeBytes { raw in ours.indices.filter { ours[$0].bitPattern != raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self) }.count }
            XCTAssertEqual(differing, 0, name)
        }
        XCTAssertEqual(Set(types), ["Q8_0", "Q4_1", "F32"])
    }
}
