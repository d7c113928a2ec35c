import CBLAS

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
}
