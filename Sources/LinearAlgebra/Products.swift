import CBLAS
import Dispatch

/// Matrix products on views, the shapes the analysis uses.
public enum Products {
    /// `A · B`.
    public static func multiply(_ a: MatrixView, _ b: MatrixView) -> Matrix {
        precondition(a.cols == b.rows, "inner dimensions differ: \(a.rows)x\(a.cols) · \(b.rows)x\(b.cols)")
        var c = Matrix(rows: a.rows, cols: b.cols)
        c.storage.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(
                m: a.rows, n: b.cols, k: a.cols, a: a.base, lda: a.cols, b: b.base, ldb: b.cols,
                c: cp.baseAddress!, ldc: b.cols)
        }
        return c
    }

    /// `A · Bᵀ`, where `B` is stored row-major: the shape of "rows times the
    /// unembedding", since `W_U = W_Eᵀ` and `W_E` is stored as `[vocab, d]`.
    public static func multiplyTransposed(_ a: MatrixView, _ b: MatrixView, into c: UnsafeMutablePointer<Float>) {
        precondition(a.cols == b.cols, "inner dimensions differ: \(a.rows)x\(a.cols) · (\(b.rows)x\(b.cols))ᵀ")
        BLAS.gemm(
            transposeB: true, m: a.rows, n: b.rows, k: a.cols,
            a: a.base, lda: a.cols, b: b.base, ldb: b.cols, c: c, ldc: b.rows)
    }

    public static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        a.view { av in b.view { bv in multiply(av, bv) } }
    }

    /// `A · B` for a tall `A`, in fixed blocks of rows shared out to every
    /// core, each block one single-thread product: the blocks (and so every
    /// rounding) are the same whatever the number of cores. For use while
    /// BLAS itself runs on one thread.
    public static func multiplyInRowBlocks(_ a: Matrix, _ b: Matrix, rowsPerBlock: Int = 4096) -> Matrix {
        b.view { multiplyInRowBlocks(a, $0, rowsPerBlock: rowsPerBlock) }
    }

    public static func multiplyInRowBlocks(_ a: Matrix, _ b: MatrixView, rowsPerBlock: Int = 4096) -> Matrix {
        precondition(a.cols == b.rows)
        let n = b.cols
        let k = a.cols
        return product(rows: a.rows, cols: n, a: a, blocks: a.rows, size: rowsPerBlock) { left, out, lo, m in
            BLAS.gemm(m: m, n: n, k: k, a: left + lo * k, lda: k, b: b.base, ldb: n, c: out + lo * n, ldc: n)
        }
    }

    /// `A · B` for a short `A` (a few rows): `B`'s columns in fixed blocks
    /// shared out to every core, each one single-thread product.
    public static func multiplyInColumnBlocks(_ a: Matrix, _ b: MatrixView, columnsPerBlock: Int = 512) -> Matrix {
        precondition(a.cols == b.rows)
        return product(rows: a.rows, cols: b.cols, a: a, blocks: b.cols, size: columnsPerBlock) { left, out, lo, n in
            BLAS.gemm(
                m: a.rows, n: n, k: a.cols, a: left, lda: a.cols, b: b.base + lo, ldb: b.cols, c: out + lo, ldc: b.cols)
        }
    }

    /// The rows of B one product of `multiplyTransposedInRowBlocksOfB` takes by default.
    public static let rowBlock = 4096

    /// `A · Bᵀ` with `B`'s rows (the unembedding's vocabulary) in fixed blocks on every core.
    public static func multiplyTransposedInRowBlocksOfB(
        _ a: Matrix, _ b: MatrixView, rowsPerBlock: Int = rowBlock
    ) -> Matrix {
        precondition(a.cols == b.cols)
        return product(rows: a.rows, cols: b.rows, a: a, blocks: b.rows, size: rowsPerBlock) { left, out, lo, n in
            BLAS.gemm(
                transposeB: true, m: a.rows, n: n, k: a.cols, a: left, lda: a.cols, b: b.base + lo * b.cols,
                ldb: b.cols,
                c: out + lo, ldc: b.rows)
        }
    }

    /// A `[rows, cols]` result whose fixed blocks of `extent` (rows of A, or
    /// columns of the result) are computed on every core by `block(a, c, start, count)`.
    private static func product(
        rows: Int, cols: Int, a: Matrix, blocks extent: Int, size: Int,
        block: @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    ) -> Matrix {
        // Every value is written by one block's product (β = 0): the storage starts unwritten.
        let storage = [Float](unsafeUninitializedCapacity: rows * cols) { cp, initialized in
            let out = SharedFloats(cp.baseAddress!)
            a.view { left in
                DispatchQueue.concurrentPerform(iterations: (extent + size - 1) / size) { i in
                    block(left.base, out.pointer, i * size, min(size, extent - i * size))
                }
            }
            initialized = rows * cols
        }
        return Matrix(rows: rows, cols: cols, storage: storage)
    }
}

/// An output buffer handed to worker threads that each write a disjoint part of it.
/// Int slots written by several threads, each its own.
public struct SharedInts: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Int>
    public init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}

public struct SharedFloats: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
