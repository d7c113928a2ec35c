import Core
import Foundation
import LinearAlgebra

/// A tensor's values as `Float`, either borrowed from a mapping (kept alive
/// here) or owned after conversion from a 16-bit type.
public final class FloatTensor: @unchecked Sendable {
    public let shape: [Int]
    /// Valid while `self` lives; outside this module only through the
    /// scoped accessors below, so no pointer can outlive its storage.
    let values: UnsafeBufferPointer<Float>
    private let owner: AnyObject?
    private let owned: UnsafeMutableBufferPointer<Float>?

    init(shape: [Int], mapped: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.shape = shape
        self.values = UnsafeBufferPointer(start: mapped, count: count)
        self.owner = owner
        self.owned = nil
    }

    init(shape: [Int], converting count: Int, _ element: (Int) -> Float) {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
        for i in 0..<count { buffer[i] = element(i) }
        self.shape = shape
        self.values = UnsafeBufferPointer(start: buffer.baseAddress, count: count)
        self.owner = nil
        self.owned = buffer
    }

    deinit { owned?.deallocate() }

    public var count: Int { values.count }

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

    public var isBorrowedFromMapping: Bool { owner != nil }
}
