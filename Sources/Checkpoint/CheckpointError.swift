/// A problem with a checkpoint on disk, worded for the person who owns the
/// file: each case carries the file and, where there is one, the tensor or
/// config key, what was expected and what was found.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    // The model folder.
    case folderMissing(path: String)
    case notAFolder(path: String)
    case noWeights(folder: String, hint: String)
    case duplicateTensor(file: String, tensor: String, alsoIn: String)
    // config.json.
    case configMissing(file: String)
    case configNotJSON(file: String)
    case configNotObject(file: String)
    case missingKey(file: String, key: String, expected: String)
    case wrongType(file: String, key: String, expected: String, found: String)
    case invalidConfig(file: String, key: String, problem: String)
    case unsupportedArchitecture(file: String, found: String, supported: [String])
    // model.safetensors.index.json.
    case index(file: String, problem: String)
    // A safetensors file as a whole.
    case unreadable(file: String, reason: String)
    case header(file: String, problem: String)
    case changedWhileReading(file: String, problem: String)
    // One tensor.
    case missingTensor(folder: String, tensor: String, expectedShape: [Int])
    case wrongShape(file: String, tensor: String, found: [Int], expected: [Int])
    case wrongDType(file: String, tensor: String, found: String)
    case badEntry(file: String, tensor: String, problem: String)
    case nonFinite(file: String, tensor: String, count: Int, of: Int)
    case writer(file: String, problem: String)

    /// The file or folder the problem is in.
    public var file: String {
        switch self {
        case .folderMissing(let f), .notAFolder(let f), .noWeights(let f, _), .duplicateTensor(let f, _, _),
            .configMissing(let f), .configNotJSON(let f), .configNotObject(let f),
            .missingKey(let f, _, _), .wrongType(let f, _, _, _), .invalidConfig(let f, _, _),
            .unsupportedArchitecture(let f, _, _),
            .index(let f, _), .unreadable(let f, _), .header(let f, _), .changedWhileReading(let f, _),
            .missingTensor(let f, _, _), .wrongShape(let f, _, _, _), .wrongDType(let f, _, _), .badEntry(let f, _, _),
            .nonFinite(let f, _, _, _), .writer(let f, _):
            return f
        }
    }

    public var description: String { "\(file): \(message)" }

    var message: String {
        switch self {
        case .folderMissing: return "model directory does not exist"
        case .notAFolder: return "is a file; expected a model directory holding config.json and model.safetensors"
        case .noWeights(_, let hint): return "no model.safetensors or model.safetensors.index.json\(hint)"
        case .duplicateTensor(_, let t, let other): return "tensor '\(t)' appears twice (also in \(other))"
        case .configMissing: return "config.json is missing"
        case .configNotJSON: return "is not valid JSON"
        case .configNotObject: return "is JSON but not an object"
        case .missingKey(_, let key, let expected): return "missing key '\(key)' (\(expected))"
        case .wrongType(_, let key, let expected, let found): return "key '\(key)' must be \(expected), found \(found)"
        case .invalidConfig(_, _, let problem): return problem
        case .unsupportedArchitecture(_, let found, let supported):
            return "\(found) is not supported yet; supported: \(supported.joined(separator: ", "))"
        case .index(_, let problem), .header(_, let problem), .changedWhileReading(_, let problem),
            .writer(_, let problem):
            return problem
        case .unreadable(_, let reason): return reason
        case .missingTensor(_, let t, let shape): return "tensor '\(t)' is missing (expected shape \(shape))"
        case .wrongShape(_, let t, let found, let expected):
            return "tensor '\(t)' has shape \(found), config.json implies \(expected)"
        case .wrongDType(_, let t, let found):
            return "tensor '\(t)' has dtype \(found); weights must be F32, F16 or BF16"
        case .badEntry(_, let t, let problem): return "tensor '\(t)': \(problem)"
        case .nonFinite(_, let t, let count, let total):
            return
                "tensor '\(t)' has \(count) non-finite value\(count == 1 ? "" : "s") (NaN or ±Inf) among "
                + "its \(total); scores computed from it would be meaningless"
        }
    }
}
