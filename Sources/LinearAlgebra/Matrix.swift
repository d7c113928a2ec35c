import Dispatch

/// A dense row-major matrix of `Float` that owns its storage.
///
/// Values, not references: small matrices (a head's `W_V`, a batch of source
/// rows) are copied freely; the large checkpoint tensors stay memory-mapped and
/// are seen through `MatrixView` instead.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    public var storage: [Float]

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(
            storage.count == rows * cols, "storage holds \(storage.count) values, \(rows)x\(cols) needs \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// The rows at `indices`, in that order.
    public func gatherRows(_ indices: [Int]) -> Matrix {
        var out = [Float](repeating: 0, count: indices.count * cols)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, r) in indices.enumerated() {
                    (dst.baseAddress! + i * cols).update(from: src.baseAddress! + r * cols, count: cols)
                }
            }
        }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }

    /// Writes `source`'s rows over rows `first`, `first + 1`, ….
    public mutating func setRows(_ first: Int, from source: Matrix) {
        precondition(source.cols == cols && first + source.rows <= rows)
        let cols = self.cols
        storage.withUnsafeMutableBufferPointer { dst in
            source.storage.withUnsafeBufferPointer { src in
                (dst.baseAddress! + first * cols).update(from: src.baseAddress!, count: source.rows * cols)
            }
        }
    }

    public func view<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { try body(MatrixView(base: $0.baseAddress!, rows: rows, cols: cols)) }
    }
}

extension Matrix {
    /// `body(rows, storage)` for chunks of `chunk` rows on every core; each
    /// touches only its rows, so the values do not depend on the core count.
    mutating func forEachRowChunk(
        chunk: Int = 64, _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let rows = self.rows
        storage.withUnsafeMutableBufferPointer { m in
            let shared = SharedFloats(m.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: (rows + chunk - 1) / chunk) { i in
                body(i * chunk..<min(rows, (i + 1) * chunk), shared.pointer)
            }
        }
    }

    /// A matrix of the same shape whose row `r` is `body(row r of self, row r of the result)`,
    /// rows in chunks on every core.
    func mapRows(_ body: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Matrix {
        var out = Matrix(rows: rows, cols: cols)
        let cols = self.cols
        storage.withUnsafeBufferPointer { input in
            let source = SharedFloats(UnsafeMutablePointer(mutating: input.baseAddress!))
            out.forEachRowChunk { rows, target in
                for r in rows { body(source.pointer + r * cols, target + r * cols) }
            }
        }
        return out
    }
}
