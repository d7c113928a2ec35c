/// One checkpoint family: how to recognise it in config.json and how to map
/// its tensor names and config keys onto the canonical `TransformerWeights`.
/// Adding a family is one new file that defines one of these.
public struct ArchitectureAdapter: Sendable {
    public let name: String
    /// The `model_type` values of config.json it reads.
    public let modelTypes: [String]
    public let load: @Sendable (CheckpointDirectory) throws -> TransformerWeights

    public init(name: String, modelTypes: [String], load: @escaping @Sendable (CheckpointDirectory) throws -> TransformerWeights) {
        self.name = name
        self.modelTypes = modelTypes
        self.load = load
    }

    func accepts(modelType: String, declared: [String]) -> Bool {
        if !modelType.isEmpty { return modelTypes.contains(modelType) }
        return declared.contains { d in modelTypes.contains { d.lowercased().hasPrefix($0) } }
    }
}

public enum Architectures {
    public static let all: [ArchitectureAdapter] = [GPT2Adapter.adapter]

    /// Opens `path` and picks the adapter named by config.json's `model_type`
    /// (or, lacking it, its `architectures` list).
    public static func load(modelDirectory path: String) throws -> (CheckpointDirectory, TransformerWeights) {
        let checkpoint = try CheckpointDirectory(path: path)
        let config = checkpoint.config
        let modelType = try config.string("model_type", default: "")
        let declared = config.strings("architectures")
        guard let adapter = all.first(where: { $0.accepts(modelType: modelType, declared: declared) }) else {
            let what = !modelType.isEmpty ? "model_type '\(modelType)'"
                : declared.isEmpty ? "a model with neither model_type nor architectures" : declared.joined(separator: ", ")
            throw CheckpointError(config.path, "\(what) is not supported yet; supported: \(all.map(\.name).joined(separator: ", "))")
        }
        return (checkpoint, try adapter.load(checkpoint))
    }
}
