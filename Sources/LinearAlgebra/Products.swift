import CBLAS
import Dispatch

/// Matrix products on views, the shapes the analysis uses.
public enum Products {
    /// `A · B`.
    public static func multiply(_ a: MatrixView, _ b: MatrixView) -> Matrix {
        precondition(a.cols == b.rows, "inner dimensions differ: \(a.rows)x\(a.cols) · \(b.rows)x\(b.cols)")
        var c = Matrix(rows: a.rows, cols: b.cols)
        c.storage.withUnsafeMutableBufferPointer { cp in
            BLAS.gemm(m: a.rows, n: b.cols, k: a.cols, a: a.base, lda: a.cols, b: b.base, ldb: b.cols,
                      c: cp.baseAddress!, ldc: b.cols)
        }
        return c
    }

    /// `A · Bᵀ`, where `B` is stored row-major: the shape of "rows times the
    /// unembedding", since `W_U = W_Eᵀ` and `W_E` is stored as `[vocab, d]`.
    public static func multiplyTransposed(_ a: MatrixView, _ b: MatrixView, into c: UnsafeMutablePointer<Float>) {
        precondition(a.cols == b.cols, "inner dimensions differ: \(a.rows)x\(a.cols) · (\(b.rows)x\(b.cols))ᵀ")
        BLAS.gemm(transposeB: true, m: a.rows, n: b.rows, k: a.cols,
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
        var c = Matrix(rows: a.rows, cols: b.cols)
        let blocks = (a.rows + rowsPerBlock - 1) / rowsPerBlock
        let n = b.cols, k = a.cols
        c.storage.withUnsafeMutableBufferPointer { cp in
            let out = SharedFloats(cp.baseAddress!)
            a.view { left in
                DispatchQueue.concurrentPerform(iterations: blocks) { i in
                    let lo = i * rowsPerBlock, m = min(rowsPerBlock, a.rows - lo)
                    BLAS.gemm(m: m, n: n, k: k, a: left.base + lo * k, lda: k, b: b.base, ldb: n,
                              c: out.pointer + lo * n, ldc: n)
                }
            }
        }
        return c
    }
}

extension Products {
    /// `A · B` for a short `A` (a few rows): `B`'s columns in fixed blocks
    /// shared out to every core, each one single-thread product.
    public static func multiplyInColumnBlocks(_ a: Matrix, _ b: MatrixView, columnsPerBlock: Int = 512) -> Matrix {
        precondition(a.cols == b.rows)
        var c = Matrix(rows: a.rows, cols: b.cols)
        let blocks = (b.cols + columnsPerBlock - 1) / columnsPerBlock
        c.storage.withUnsafeMutableBufferPointer { cp in
            let out = SharedFloats(cp.baseAddress!)
            a.view { left in
                DispatchQueue.concurrentPerform(iterations: blocks) { i in
                    let lo = i * columnsPerBlock, n = min(columnsPerBlock, b.cols - lo)
                    BLAS.gemm(m: a.rows, n: n, k: a.cols, a: left.base, lda: a.cols, b: b.base + lo, ldb: b.cols, c: out.pointer + lo, ldc: b.cols)
                }
            }
        }
        return c
    }

    /// `A · Bᵀ` with `B`'s rows (the unembedding's vocabulary) in fixed blocks on every core.
    public static func multiplyTransposedInRowBlocksOfB(_ a: Matrix, _ b: MatrixView, rowsPerBlock: Int = 4096) -> Matrix {
        precondition(a.cols == b.cols)
        var c = Matrix(rows: a.rows, cols: b.rows)
        let blocks = (b.rows + rowsPerBlock - 1) / rowsPerBlock
        c.storage.withUnsafeMutableBufferPointer { cp in
            let out = SharedFloats(cp.baseAddress!)
            a.view { left in
                DispatchQueue.concurrentPerform(iterations: blocks) { i in
                    let lo = i * rowsPerBlock, n = min(rowsPerBlock, b.rows - lo)
                    BLAS.gemm(transposeB: true, m: a.rows, n: n, k: a.cols, a: left.base, lda: a.cols, b: b.base + lo * b.cols, ldb: b.cols,
                              c: out.pointer + lo, ldc: b.rows)
                }
            }
        }
        return c
    }
}

/// An output buffer handed to worker threads that each write a disjoint part of it.
public struct SharedFloats: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
