

/// A borrowed row-major matrix: a pointer into memory someone else keeps alive
/// (a mapped checkpoint file or a `Matrix`'s storage).
public struct MatrixView: @unchecked Sendable {
    public let base: UnsafePointer<Float>
    public let rows: Int
    public let cols: Int

    public init(base: UnsafePointer<Float>, rows: Int, cols: Int) {
        self.base = base
        self.rows = rows
        self.cols = cols
    }

    /// Rows `range` as a view of the same memory.
    public func rows(_ range: Range<Int>) -> MatrixView {
        MatrixView(base: base + range.lowerBound * cols, rows: range.count, cols: cols)
    }

    public subscript(row: Int, col: Int) -> Float { base[row * cols + col] }

    public func copy() -> Matrix {
        Matrix(rows: rows, cols: cols, storage: Array(UnsafeBufferPointer(start: base, count: rows * cols)))
    }

    public func gatherRows(_ indices: [Int]) -> Matrix {
        var out = [Float](repeating: 0, count: indices.count * cols)
        out.withUnsafeMutableBufferPointer { dst in
            for (i, r) in indices.enumerated() {
                (dst.baseAddress! + i * cols).update(from: base + r * cols, count: cols)
            }
        }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }
}
