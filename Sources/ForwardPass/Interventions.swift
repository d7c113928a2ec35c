import Core
import LinearAlgebra

/// The hooks the paper's experiments need, and nothing more.
public struct Interventions: Sendable {
    /// A head's attention at one query position put wholly on one key position.
    public struct ForcedPattern: Sendable, Equatable {
        public let query: Int
        public let key: Int
        public init(query: Int, key: Int) {
            self.query = query
            self.key = key
        }
    }

    /// Heads whose output is zero (ablation): their layer's attention adds only what the others
    /// and the output bias add.
    public var zeroed: Set<HeadIndex> = []
    /// Heads whose output is zero at one query position only (the paper's ablation: the last position).
    public var zeroedAt: [HeadIndex: Int] = [:]
    public var forcedPatterns: [HeadIndex: ForcedPattern] = [:]
    /// Heads whose `z` is replaced, `[prompt · position][d_head]`.
    public var replacedZ: [HeadIndex: Matrix] = [:]
    /// Heads whose `z` is recorded at a position.
    public var recorded: [HeadIndex: Int] = [:]
    /// Heads whose value vector is recorded at a position: what their `z`
    /// would be with the attention forced wholly onto that position, in a
    /// run whose residual stream is this one (the dynamic scores without context).
    public var recordedValues: [HeadIndex: Int] = [:]

    public init() {}

    func validate(layers: Int, heads: Int, length: Int, prompts: Int, dHead: Int) throws {
        let all =
            Array(zeroed) + Array(zeroedAt.keys) + Array(forcedPatterns.keys) + Array(replacedZ.keys)
            + Array(recorded.keys) + Array(recordedValues.keys)
        for index in all where index.layer >= layers || index.head >= heads {
            throw ForwardPassError.headOutsideModel(head: index, layers: layers, heads: heads)
        }
        for (index, forced) in forcedPatterns
        where !(0..<length).contains(forced.query) || !(0...forced.query).contains(forced.key) {
            throw ForwardPassError.badPattern(head: index, query: forced.query, key: forced.key, length: length)
        }
        for (index, z) in replacedZ where z.rows != prompts * length || z.cols != dHead {
            throw ForwardPassError.badReplacement(
                head: index, rows: z.rows, cols: z.cols, expected: (prompts * length, dHead))
        }
        for (_, position) in Array(recorded) + Array(recordedValues) + Array(zeroedAt)
        where !(0..<length).contains(position) {
            throw ForwardPassError.positionOutOfRange(positions: [position], length: length)
        }
    }
}

public enum ForwardPassError: Error, Equatable, CustomStringConvertible {
    case unevenBatch(lengths: [Int])
    case tooLong(length: Int, maximum: Int)
    case tokenOutsideVocabulary(id: Int, vocab: Int)
    case positionOutOfRange(positions: [Int], length: Int)
    case headOutsideModel(head: HeadIndex, layers: Int, heads: Int)
    case badPattern(head: HeadIndex, query: Int, key: Int, length: Int)
    case badReplacement(head: HeadIndex, rows: Int, cols: Int, expected: (Int, Int))

    public static func == (a: ForwardPassError, b: ForwardPassError) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .unevenBatch(let lengths):
            return
                "a batch needs prompts of one length (in tokens); "
                + "got \(lengths.isEmpty ? "no prompt" : lengths.map(String.init).joined(separator: ", "))"
        case .tooLong(let length, let maximum):
            return "a prompt of \(length) tokens is longer than the model's \(maximum) positions"
        case .tokenOutsideVocabulary(let id, let vocab):
            return "token id \(id) is outside the model's vocabulary of \(vocab)"
        case .positionOutOfRange(let positions, let length):
            return "positions \(positions) are outside a prompt of \(length) tokens"
        case .headOutsideModel(let head, let layers, let heads):
            return "head \(head) is outside the model's \(layers) layers × \(heads) heads"
        case .badPattern(let head, let query, let key, let length):
            return
                "head \(head): a forced pattern from query \(query) to key \(key) is not causal within \(length) "
                + "positions"
        case .badReplacement(let head, let rows, let cols, let expected):
            return "head \(head): replacement z is \(rows) × \(cols), expected \(expected.0) × \(expected.1)"
        }
    }
}
