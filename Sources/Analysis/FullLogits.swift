import Checkpoint
import LinearAlgebra

extension TransformerWeights {
    /// `rows · W_U`: every vocabulary logit of each row, row-major
    /// `[rows, vocab]`. The plain way, for one head's card and the reference
    /// scorer; the fast scorer never forms these.
    public func logits(of rows: Matrix) -> [Float] {
        var out = [Float](repeating: 0, count: rows.rows * shape.vocab)
        unembedding.withMatrix { u in
            rows.view { r in
                out.withUnsafeMutableBufferPointer { Products.multiplyTransposed(r, u, into: $0.baseAddress!) }
            }
        }
        return out
    }

    /// The same, with the vocabulary in fixed blocks shared out to every core
    /// (one-thread BLAS each; the same roundings whatever the core count).
    public func logitsInVocabularyBlocks(of rows: Matrix, rowsPerBlock: Int = Products.rowBlock) -> [Float] {
        unembedding.withMatrix {
            Products.multiplyTransposedInRowBlocksOfB(rows, $0, rowsPerBlock: rowsPerBlock).storage
        }
    }
}
