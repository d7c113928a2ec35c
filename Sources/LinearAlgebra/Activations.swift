import Dispatch
import Foundation

/// The element-wise pieces of a transformer block that the analysis needs.
public enum Activation: String, Sendable, CaseIterable {
    /// GPT-2's `gelu_new`: the tanh approximation.
    case geluNew = "gelu_new"
    /// The exact erf form.
    case gelu = "gelu"
    case relu = "relu"
    /// `x · σ(x)`, the gate of Llama's, Qwen2's and Mistral's MLPs.
    case silu = "silu"

    public func apply(_ x: Float) -> Float {
        switch self {
        case .geluNew:
            // 0.5·x·(1 + tanh(u)) = x·σ(2u): one exp instead of tanh's (a third of the time).
            let c: Float = 2 * 0.7978845608028654  // 2·sqrt(2/π)
            return x / (1 + exp(-c * (x + 0.044715 * x * x * x)))
        case .gelu:
            return 0.5 * x * (1 + erf(x / 1.4142135623730951))
        case .relu:
            return max(0, x)
        case .silu:
            return x / (1 + exp(-x))
        }
    }

    /// The same in double precision.
    public func apply(_ x: Double) -> Double {
        switch self {
        case .geluNew: return 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        case .gelu: return 0.5 * x * (1 + erf(x / 1.4142135623730951))
        case .relu: return max(0, x)
        case .silu: return x / (1 + exp(-x))
        }
    }

    /// The config spellings `init(configName:)` accepts.
    public static let knownNames = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish"]

    /// Accepts the spellings Hugging Face configs use.
    public init?(configName: String) {
        switch configName {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluNew
        case "gelu": self = .gelu
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }
}

extension Matrix {
    /// Adds `v` to every row; rows in fixed chunks on every core.
    public mutating func addRowVector(_ v: [Float]) {
        precondition(v.count == cols)
        let cols = self.cols
        forEachRowChunk { rows, m in
            v.withUnsafeBufferPointer { v in
                for r in rows {
                    let row = m + r * cols
                    for c in 0..<cols { row[c] += v[c] }
                }
            }
        }
    }

    /// `self += other`, element by element; rows in fixed chunks on every core.
    public mutating func add(_ other: Matrix) {
        precondition(rows == other.rows && cols == other.cols)
        let cols = self.cols
        other.storage.withUnsafeBufferPointer { o in
            let o = SharedFloats(UnsafeMutablePointer(mutating: o.baseAddress!))
            forEachRowChunk { rows, m in
                for i in rows.lowerBound * cols..<rows.upperBound * cols { m[i] += o.pointer[i] }
            }
        }
    }

    /// Element-wise product with a matrix of the same shape (a gated MLP's two branches).
    public mutating func multiplyElementwise(by other: Matrix) {
        precondition(rows == other.rows && cols == other.cols)
        for i in storage.indices { storage[i] *= other.storage[i] }
    }

    public mutating func scale(by factor: Float) {
        for i in storage.indices { storage[i] *= factor }
    }

    /// The same on every core, in fixed chunks (each element computed alone).
    public mutating func applyInParallel(_ activation: Activation, chunk: Int = 1 << 16) {
        let count = storage.count
        storage.withUnsafeMutableBufferPointer { p in
            let shared = SharedFloats(p.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: (count + chunk - 1) / chunk) { i in
                for j in (i * chunk)..<min(count, (i + 1) * chunk) {
                    shared.pointer[j] = activation.apply(shared.pointer[j])
                }
            }
        }
    }

    public mutating func apply(_ activation: Activation) {
        for i in storage.indices { storage[i] = activation.apply(storage[i]) }
    }
}
