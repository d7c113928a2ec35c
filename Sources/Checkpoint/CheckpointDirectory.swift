import Core
import Foundation

/// A model's weights and config: a Hugging Face model directory
/// (`config.json` plus `model.safetensors` or shards listed in
/// `model.safetensors.index.json`), or a GGUF file (or a folder holding
/// exactly one), read as the Hugging Face checkpoint it was converted from.
///
/// Tensor names are looked up without the `transformer.` prefix that some
/// exports add, so adapters can use one spelling.
public final class CheckpointDirectory: Sendable {
    public let path: String
    public let config: ConfigFile
    /// The safetensors files, in a stable order (for provenance and hashing).
    public let files: [SafetensorsFile]
    /// `model.safetensors.index.json` when the weights are sharded.
    public let indexFile: String?
    /// Set when the model is a GGUF file.
    public let gguf: GGUFCheckpoint?
    private let locations: [String: (file: Int, info: TensorInfo)]

    /// Longest first: a multimodal Gemma 3 keeps its language model under
    /// `language_model.model.` (or `model.language_model.` from transformers 5).
    public static let prefixes = [
        "model.language_model.", "language_model.model.", "language_model.", "transformer.", "model.", "gpt_neox.",
    ]

    /// Every file the weights are read from, in a stable order.
    public var weightFiles: [String] { files.map(\.path) + (gguf.map { [$0.file.path] } ?? []) }

    /// The GGUF file `path` names: the file itself, or the only `.gguf` in a
    /// folder without `config.json`; nil when `path` is a Hugging Face folder.
    public static func ggufFile(at path: String) throws -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return path }
        guard !FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("config.json")) else {
            return nil
        }
        let found = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter {
            $0.lowercased().hasSuffix(".gguf")
        }.sorted()
        if found.count > 1 {
            throw CheckpointError.invalidConfig(
                file: path, key: "--model",
                problem:
                    "holds \(found.count) GGUF files (\(found.prefix(4).joined(separator: ", "))); name one of them")
        }
        return found.first.map { (path as NSString).appendingPathComponent($0) }
    }

    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError.folderMissing(path: path)
        }
        if let gguf = try CheckpointDirectory.ggufFile(at: path) {
            let checkpoint = try GGUFCheckpoint(file: try GGUFFile(path: gguf))
            self.gguf = checkpoint
            config = checkpoint.config
            files = []
            indexFile = nil
            locations = [:]
            return
        }
        guard isDirectory.boolValue else {
            throw CheckpointError.notAFolder(path: path)
        }
        gguf = nil
        let file = try ConfigFile(path: (path as NSString).appendingPathComponent("config.json"))
        // A multimodal Gemma 3 holds its language model's config in `text_config`.
        if file.modelType == "gemma3", let text = file.section("text_config") {
            config = text.setting("model_type", default: "gemma3_text")
        } else {
            config = file
        }
        let single = (path as NSString).appendingPathComponent("model.safetensors")
        let index = (path as NSString).appendingPathComponent("model.safetensors.index.json")
        // A link whose blob is missing still names the file: open it for the error that says so.
        if FileManager.default.fileExists(atPath: single) || FileType.danglingLinkTarget(single) != nil {
            files = [try SafetensorsFile(path: single)]
            indexFile = nil
        } else if FileManager.default.fileExists(atPath: index) || FileType.danglingLinkTarget(index) != nil {
            files = try CheckpointDirectory.openShards(index: index, directory: path)
            indexFile = index
        } else {
            let hint =
                FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("pytorch_model.bin"))
                ? " (pytorch_model.bin is present but pickled checkpoints are not read; convert it to safetensors)" : ""
            throw CheckpointError.noWeights(folder: path, hint: hint)
        }
        var locations: [String: (Int, TensorInfo)] = [:]
        for (i, file) in files.enumerated() {
            for (name, info) in file.tensors {
                let key = CheckpointDirectory.canonicalName(name)
                if let existing = locations[key] {
                    throw CheckpointError.duplicateTensor(file: file.path, tensor: name, alsoIn: files[existing.0].path)
                }
                locations[key] = (i, info)
            }
        }
        self.locations = locations
    }

    static func openShards(index: String, directory: String) throws -> [SafetensorsFile] {
        let weightMap = try parseIndex(
            try InputFile.read(index, kind: "shard index", limit: InputFile.Limit.smallJSON), path: index)
        let shardNames = Set(weightMap.values).sorted()
        var shards: [String: SafetensorsFile] = [:]
        for name in shardNames {
            let shardPath = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: shardPath) else {
                throw CheckpointError.index(file: index, problem: "names shard '\(name)', which is not in \(directory)")
            }
            shards[name] = try SafetensorsFile(path: shardPath)
        }
        for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where shards[shard]?.tensors[tensor] == nil {
            throw CheckpointError.index(
                file: index, problem: "maps tensor '\(Excerpt.short(tensor))' to '\(shard)', which does not contain it")
        }
        return shardNames.map { shards[$0]! }
    }

    /// `model.safetensors.index.json`'s weight map, tensor name → shard file.
    public static func parseIndex(_ data: Data, path index: String) throws -> [String: String] {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.index(file: index, problem: "is not a JSON object")
        }
        guard let weightMap = object["weight_map"] as? [String: String] else {
            throw CheckpointError.index(file: index, problem: "has no 'weight_map' object of tensor name → shard file")
        }
        guard weightMap.count <= SafetensorsFile.maximumTensors else {
            throw CheckpointError.index(
                file: index,
                problem: "maps \(weightMap.count) tensors, more than the limit of \(SafetensorsFile.maximumTensors)")
        }
        for name in Set(weightMap.values) {
            // Shard names are file names inside the model folder; a path that
            // leaves it could make the analysis read any file on the machine.
            // (Symbolic links inside the folder, as in the Hugging Face cache, are followed.)
            let components = name.split(separator: "/", omittingEmptySubsequences: false)
            guard !name.isEmpty, !name.hasPrefix("/"), !components.contains(".."), !components.contains("") else {
                throw CheckpointError.index(
                    file: index,
                    problem:
                        "names shard '\(Excerpt.short(name))', a path outside the model folder; shards must be files "
                        + "inside it"
                )
            }
        }
        return weightMap
    }

    public static func canonicalName(_ name: String) -> String {
        for prefix in prefixes where name.hasPrefix(prefix) { return String(name.dropFirst(prefix.count)) }
        return name
    }

    public var tensorNames: [String] { gguf?.tensorNames ?? locations.keys.sorted() }

    /// A config that declares fewer layers than the file holds would silently
    /// drop the rest: an error names the first tensor past the declared count.
    public func checkNoLayers(from count: Int, prefix: String, declaredBy key: String) throws {
        var highest = -1
        var example = ""
        for name in tensorNames where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let layer = Int(rest.prefix { $0.isNumber }), layer >= count, layer > highest {
                (highest, example) = (layer, name)
            }
        }
        if highest >= 0 {
            throw CheckpointError.invalidConfig(
                file: config.path, key: key,
                problem:
                    "\(key) is \(count) but the checkpoint holds layers up to \(highest) ('\(example)'); fix \(key) "
                    + "or the weights"
            )
        }
    }

    /// Throws if any file changed under its mapping: views of mapped F32
    /// tensors read zeros where a truncated file lost its pages.
    public func checkUnchanged() throws {
        for file in files { try file.checkUnchanged() }
        try gguf?.file.checkUnchanged()
    }

    /// Tensor `name` as the file spells it (with its prefix; a GGUF file's own name), for errors.
    public func storedName(of name: String) -> String { gguf?.storedName(name) ?? locations[name]?.info.name ?? name }

    /// The shape of tensor `name` (row-major), nil when the checkpoint has none.
    public func shape(of name: String) -> [Int]? { gguf?.shape(name) ?? locations[name]?.info.shape }

    /// Throws unless tensor `name` is stored in a type the reader converts.
    public func checkWeightType(_ name: String) throws {
        if let gguf {
            try gguf.checkReadable(name)
        } else if let (index, info) = locations[name], !info.dtype.isWeightType {
            throw CheckpointError.wrongDType(file: files[index].path, tensor: info.name, found: info.dtype.rawValue)
        }
    }

    /// The file that holds tensor `name` (the folder when none does), for errors.
    public func file(holding name: String) -> String {
        gguf?.file.path ?? locations[name].map { files[$0.file].path } ?? path
    }

    /// Reads a tensor after checking its shape. `deferred`: convert a 16-bit
    /// tensor only where it is read (`FloatTensor.gatherRows`), for input
    /// embeddings of which the scores read a few rows.
    public func tensor(_ name: String, shape expected: [Int], deferred: Bool = false) throws -> FloatTensor {
        if let gguf {
            guard let found = gguf.shape(name) else {
                throw CheckpointError.missingTensor(folder: path, tensor: name, expectedShape: expected)
            }
            guard found == expected else {
                throw CheckpointError.wrongShape(
                    file: gguf.file.path, tensor: gguf.storedName(name), found: found, expected: expected)
            }
            return try gguf.floats(name, deferred: deferred)
        }
        guard let (fileIndex, info) = locations[name] else {
            throw CheckpointError.missingTensor(folder: path, tensor: name, expectedShape: expected)
        }
        guard info.shape == expected else {
            throw CheckpointError.wrongShape(
                file: files[fileIndex].path, tensor: info.name, found: info.shape, expected: expected)
        }
        return try deferred ? files[fileIndex].deferredFloats(info) : files[fileIndex].floats(info)
    }

    public func vector(_ name: String, count: Int) throws -> [Float] {
        try tensor(name, shape: [count]).array
    }

    /// The files a model at `path` consists of, for outputs to keep clear of:
    /// the GGUF file itself, or the folder's config, tokenizer and weight files
    /// (a new file beside them, `scores.json`, is no part of the model).
    public static func modelFiles(at path: String) -> [String] {
        guard let st = FileType.status(path), (st.st_mode & S_IFMT) == S_IFDIR else { return [path] }
        let names = [
            "config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
            "special_tokens_map.json", "generation_config.json", "added_tokens.json",
        ]
        let weights = [".safetensors", ".safetensors.index.json", ".gguf", ".bin", ".model", ".pt", ".pth"]
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
            .filter { name in names.contains(name) || weights.contains { name.lowercased().hasSuffix($0) } }
            .map { (path as NSString).appendingPathComponent($0) }
    }
}
