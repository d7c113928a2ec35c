import CBLAS

/// The only door to OpenBLAS. Everything else in the project is plain Swift.
public enum BLAS {
    /// Analysis code parallelises over heads itself, so BLAS runs one thread per
    /// call: results then never depend on how many threads OpenBLAS would pick.
    public static func useSingleThread() { openblas_set_num_threads(1) }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// How many threads OpenBLAS uses per call now.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS build string (version, target core), for provenance.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, all row-major.
    /// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored.
    @inlinable
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension BLAS {
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        cblas_sdot(Int32(count), x, 1, y, 1)
    }
}

extension BLAS {
    /// `C[m×n] = op(A)[m×k] · op(B)[k×n] + beta · C` in double precision, row-major:
    /// the few values a person reads are recomputed with it (`ExactValues`).
    @inlinable
    public static func gemm(
        transposeB: Bool = false, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
