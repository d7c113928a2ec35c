import Core
import Foundation
import LinearAlgebra

/// A tensor's values as `Float`: borrowed from a mapping (kept alive here),
/// converted from a 16-bit type, or converted only when first needed.
///
/// The last kind exists for untied input embeddings of large models: the
/// scores read a few thousand of Llama-3.1-8B's 128,256 embedding rows, and a
/// full `Float` copy would cost 2.1 GB of memory for nothing. Such a tensor
/// converts the rows asked for (`gatherRows`) and the whole matrix only if
/// someone asks for it.
public final class FloatTensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    private let owner: AnyObject?
    /// Set at once for mapped and converted tensors; on first use for deferred ones.
    private var storage: UnsafeBufferPointer<Float>?
    private var owned: UnsafeMutableBufferPointer<Float>?
    private let deferred: Deferred?
    private let lock = NSLock()

    /// How to convert element ranges of a tensor that is not converted yet.
    struct Deferred: @unchecked Sendable {
        /// Writes elements `range` into `destination`.
        let convert: (_ range: Range<Int>, _ destination: UnsafeMutablePointer<Float>) -> Void
    }

    init(shape: [Int], mapped: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.shape = shape
        self.count = count
        self.storage = UnsafeBufferPointer(start: mapped, count: count)
        self.owner = owner
        self.deferred = nil
    }

    init(
        shape: [Int], converting count: Int,
        _ convert: (_ range: Range<Int>, _ destination: UnsafeMutablePointer<Float>) -> Void
    ) {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        convert(0..<count, buffer.baseAddress!)
        self.shape = shape
        self.count = count
        self.storage = UnsafeBufferPointer(start: buffer.baseAddress, count: count)
        self.owner = nil
        self.owned = buffer
        self.deferred = nil
    }

    init(
        shape: [Int], deferring count: Int, owner: AnyObject,
        _ convert: @escaping (_ range: Range<Int>, _ destination: UnsafeMutablePointer<Float>) -> Void
    ) {
        self.shape = shape
        self.count = count
        self.owner = owner
        self.deferred = Deferred(convert: convert)
    }

    deinit { owned?.deallocate() }

    /// The values, converting them all first if that has not happened yet.
    var values: UnsafeBufferPointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let storage { return storage }
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        deferred!.convert(0..<count, buffer.baseAddress!)
        owned = buffer
        storage = UnsafeBufferPointer(start: buffer.baseAddress, count: count)
        return storage!
    }

    public subscript(index: Int) -> Float { withExtendedLifetime(self) { values[index] } }

    /// Runs `body` on the values while keeping the storage alive.
    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(values) }
    }

    /// The tensor as a `[rows, cols]` matrix view; valid while `self` lives.
    var matrix: MatrixView {
        precondition(shape.count == 2, "not a matrix: shape \(shape)")
        return MatrixView(base: values.baseAddress!, rows: shape[0], cols: shape[1])
    }

    public var array: [Float] { Array(values) }

    /// Runs `body` on the matrix view while keeping the storage alive.
    public func withMatrix<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(matrix) }
    }

    public func matrixCopy() -> Matrix { withMatrix { $0.copy() } }

    /// Rows `indices` of a matrix, converting only those rows when the whole
    /// tensor has not been converted.
    public func gatherRows(_ indices: [Int]) -> Matrix {
        precondition(shape.count == 2, "not a matrix: shape \(shape)")
        lock.lock()
        let converted = storage != nil
        lock.unlock()
        if converted { return withMatrix { $0.gatherRows(indices) } }
        let cols = shape[1]
        var out = Matrix(rows: indices.count, cols: cols)
        out.storage.withUnsafeMutableBufferPointer { p in
            for (r, i) in indices.enumerated() {
                precondition(i >= 0 && i < shape[0], "row \(i) out of range")
                deferred!.convert(i * cols..<(i + 1) * cols, p.baseAddress! + r * cols)
            }
        }
        return withExtendedLifetime(self) { out }
    }

    /// Rows `indices` times `factor`: token embeddings as a model reads them
    /// (Gemma scales them by `sqrt(d_model)`, the others by 1).
    public func gatherRows(_ indices: [Int], scaledBy factor: Float) -> Matrix {
        var rows = gatherRows(indices)
        if factor != 1 { rows.scale(by: factor) }
        return rows
    }

    public var isBorrowedFromMapping: Bool { deferred == nil && owner != nil }

    /// Whether the values are still to be converted (only rows asked for so far).
    public var isDeferred: Bool {
        lock.lock()
        defer { lock.unlock() }
        return storage == nil
    }
}
