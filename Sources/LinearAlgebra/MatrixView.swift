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

    /// Columns `cols` of rows `rows`, transposed: `[cols.count, rows.count]`.
    /// Checkpoints that store linear layers `[out, in]` give their canonical
    /// `[in, out]` slices this way.
    public func transposed(rows rowRange: Range<Int>? = nil, cols colRange: Range<Int>? = nil) -> Matrix {
        let r = rowRange ?? 0..<rows
        let c = colRange ?? 0..<cols
        var out = Matrix(rows: c.count, cols: r.count)
        out.storage.withUnsafeMutableBufferPointer { dst in
            // Blocked so that both sides stay in cache for large weights.
            let tile = 64
            for i0 in stride(from: r.lowerBound, to: r.upperBound, by: tile) {
                for j0 in stride(from: c.lowerBound, to: c.upperBound, by: tile) {
                    for i in i0..<min(i0 + tile, r.upperBound) {
                        for j in j0..<min(j0 + tile, c.upperBound) {
                            dst[(j - c.lowerBound) * r.count + (i - r.lowerBound)] = base[i * cols + j]
                        }
                    }
                }
            }
        }
        return out
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
