import Checkpoint
import Dispatch
import LinearAlgebra

extension TransformerWeights {
    /// `rows · W_U`: every vocabulary logit of each row, row-major
    /// `[rows, vocab]`. The plain way, for one head's card and the reference
    /// scorer; the fast scorer never forms these.
    public func logits(of rows: Matrix) -> [Float] {
        var out = [Float](repeating: 0, count: rows.rows * shape.vocab)
        unembedding.withMatrix { u in
            rows.view { r in out.withUnsafeMutableBufferPointer { Products.multiplyTransposed(r, u, into: $0.baseAddress!) } }
        }
        return out
    }

    /// The same, with the vocabulary in fixed blocks shared out to every core
    /// (one-thread BLAS each; the same roundings whatever the core count).
    public func logitsInVocabularyBlocks(of rows: Matrix, blockRows: Int = ScoringSettings.productChunkColumns * 4) -> [Float] {
        let vocab = shape.vocab
        var out = [Float](repeating: 0, count: rows.rows * vocab)
        let blocks = (vocab + blockRows - 1) / blockRows
        unembedding.withMatrix { u in
            rows.view { r in
                out.withUnsafeMutableBufferPointer { o in
                    let target = SharedFloats(o.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: blocks) { i in
                        let lo = i * blockRows, n = min(blockRows, vocab - lo)
                        BLAS.gemm(transposeB: true, m: r.rows, n: n, k: r.cols, a: r.base, lda: r.cols,
                                  b: u.base + lo * u.cols, ldb: u.cols, c: target.pointer + lo, ldc: vocab)
                    }
                }
            }
        }
        return out
    }
}
