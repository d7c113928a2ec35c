import Analysis
import Checkpoint
import Core
import Experiments
import Foundation
import Plot
import Report
import Sweep
import Tokenizer

/// What each fuzz target feeds with arbitrary bytes. A thrown error is a
/// correct answer; a crash, a hang or a broken invariant is a bug.
enum FuzzTargets {
    static let names = [
        "safetensors", "config", "relation", "scores", "vocabulary", "bpe", "index", "spec", "png", "pattern",
        "tokenizer-json", "gguf", "templates",
    ]

    static func run(_ target: String, _ data: Data) {
        switch target {
        case "safetensors": safetensors(data)
        case "config": _ = try? GPT2Adapter.shape(ConfigFile(data: data, path: "config.json"))
        case "relation": _ = try? Relation.parsePairs(data, path: "relation.json")
        case "scores": _ = try? ScoresDocument.parse(data, path: "scores.json")
        case "vocabulary": vocabulary(data)
        case "bpe": bpe(data)
        case "index": _ = try? CheckpointDirectory.parseIndex(data, path: "model.safetensors.index.json")
        case "spec": spec(data)
        case "png": png(data)
        case "pattern": pattern(data)
        case "tokenizer-json": tokenizerJSON(data)
        case "gguf": gguf(data)
        case "templates": templates(data)
        default: fatalError("unknown fuzz target '\(target)'; known: \(names.joined(separator: ", "))")
        }
    }

    /// A GGUF header against the bytes that follow it: accepted tensors lie
    /// inside the data, and a dequantized one is as long as its shape says.
    static func gguf(_ data: Data) {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress,
                let header = try? GGUFFile.parseHeader(base, size: raw.count, path: "fuzz")
            else { return }
            for t in header.tensors {
                precondition(header.dataStart + t.offset + t.byteCount <= raw.count)
                if t.type.isReadable, t.elementCount <= 1 << 16 {
                    var out = [Float](repeating: 0, count: t.elementCount)
                    out.withUnsafeMutableBufferPointer { o in
                        let layout = t.type.blockLayout!
                        GGMLDequantize.blocks(
                            t.type, base + header.dataStart + t.offset, count: t.elementCount / layout.values,
                            into: o.baseAddress!)
                    }
                }
            }
        }
    }

    /// The 8-byte length, then the header against the bytes that follow it.
    static func safetensors(_ data: Data) {
        guard data.count >= 8 else { return }
        let length = Int(clamping: data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard length <= data.count - 8 else { return }
        let header = data.subdata(in: 8..<(8 + length))
        guard
            let (tensors, _) = try? SafetensorsFile.parseHeader(header, dataSize: data.count - 8 - length, path: "fuzz")
        else { return }
        // Accepted headers must describe tensors that fit, exactly.
        var covered = 0
        for t in tensors.values {
            precondition(t.dataOffsets.upperBound <= data.count - 8 - length)
            precondition(t.elementCount * t.dtype.byteSize == t.dataOffsets.count)
            covered += t.dataOffsets.count
        }
        precondition(covered == data.count - 8 - length)
    }

    /// A report spec or a marker set (the same YAML reader); paths in it point
    /// at a folder that does not exist, so nothing outside the input is read.
    static func spec(_ data: Data) {
        guard let text = String(data: data, encoding: .utf8), text.utf8.count <= InputFile.Limit.yaml,
            let yaml = try? YAMLMapping.parse(text, file: "/nonexistent/spec.yaml")
        else { return }
        _ = try? ReportSpec.parse(yaml, file: "/nonexistent/spec.yaml")
        _ = try? MarkerSet.parse(yaml, file: "/nonexistent/markers.yaml")
        if let sweep = try? SweepSpec.parse(yaml, file: "/nonexistent/sweep.yaml") {
            precondition(!sweep.models.isEmpty && sweep.threshold > 0 && sweep.threshold <= 1)
            precondition((1...8).contains(sweep.headsPlotted) && sweep.slurm.cpus >= 1)
            precondition(sweep.slurm.options.allSatisfy { $0.hasPrefix("-") })
        }
    }

    /// A pre-tokenizer pattern: an error, or a regex whose matches over any
    /// text are in order, inside it and non-empty, within the step budget.
    static func pattern(_ data: Data) {
        guard let text = String(data: data, encoding: .utf8) else { return }
        let parts = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard let regex = try? PatternRegex(String(parts[0])), (try? regex.checkCost()) != nil else { return }
        let subject = Array((parts.count > 1 ? String(parts[1]) : "Hello world's 123 \n\n  x").unicodeScalars)
        var last = 0
        for m in regex.matches(in: subject) {
            precondition(m.lowerBound >= last && m.upperBound <= subject.count && !m.isEmpty)
            last = m.upperBound
        }
    }

    /// A tokenizer.json: an error, or a tokenizer whose encoding of a sample
    /// text gives ids below its count (or the unknown id).
    static func tokenizerJSON(_ data: Data) {
        guard let tokenizer = try? TokenizerJSON.parse(data, path: "tokenizer.json") else { return }
        for id in tokenizer.encode("Hello world's 123 中文 🙂\n") {
            precondition(id == ByteLevelBPE.unknownID || (0..<tokenizer.count).contains(id))
        }
    }

    /// A prompt templates file: an error, or templates within the limits, each
    /// with one slot, which fill to a prompt holding the source.
    static func templates(_ data: Data) {
        guard let list = try? PromptTemplates.parse(data, path: "templates.json") else { return }
        precondition(list.count <= PromptTemplates.maximumCount)
        for t in list {
            precondition(t.count <= PromptTemplates.maximumLength)
            precondition(t.replacingOccurrences(of: "<X>", with: " Paris").contains(" Paris"))
        }
    }

    /// Any bytes as a PNG: an error or an image within the limits, never a crash.
    static func png(_ data: Data) {
        guard let image = try? RasterImage.decode(data, path: "fuzz.png") else { return }
        precondition(image.width * image.height <= FigureLimits.decodedPixels)
        precondition(image.rgba.count == image.width * image.height * 4)
    }

    /// A vocabulary JSON and a merges text, separated by the first zero byte.
    static func vocabulary(_ data: Data) {
        guard let split = data.firstIndex(of: 0) else { return }
        let merges = String(decoding: data[data.index(after: split)...], as: UTF8.self)
        guard let tokenizer = try? ByteLevelBPE(vocabularyData: data[..<split], mergesText: merges) else { return }
        let text = "Hello world, 1990 naïve"
        let ids = tokenizer.encode(text)
        precondition(
            ids.allSatisfy { $0 == ByteLevelBPE.unknownID || ($0 >= 0 && tokenizer.vocabulary.values.contains($0)) })
        if tokenizer.missingBytes.isEmpty { precondition(tokenizer.decode(ids) == text) }
    }

    /// Byte-level BPE is lossless: any text must come back from its ids.
    static let demoTokenizer: ByteLevelBPE = {
        let dir = ProcessInfo.processInfo.environment["HEADMAPS_FUZZ_VOCAB"] ?? "fixtures/models/demo-gpt2-medium-grid"
        return try! ByteLevelBPE(directory: dir)
    }()

    static func bpe(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        let pieces = ByteLevelBPE.preTokenize(text)
        precondition(pieces.joined() == text, "pre-tokens must tile the text")
        let ids = demoTokenizer.encode(text)
        precondition(ids.allSatisfy { $0 >= 0 && $0 < demoTokenizer.count })
        precondition(demoTokenizer.decode(ids) == text, "decode(encode(text)) must be text")
    }
}
