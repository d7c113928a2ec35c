/// A float32 dot product in plain Swift, sixteen lanes at a time, for short
/// vectors read one at a time where a BLAS call would cost more than the
/// sum: screens, whose bounds hold for any order of summation.
public enum LaneDot {
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            lanes +=
                UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self)
                * UnsafeRawPointer(y + j).loadUnaligned(as: SIMD16<Float>.self)
            j += 16
        }
        var sum = lanes.sum()
        while j < count {
            sum += x[j] * y[j]
            j += 1
        }
        return sum
    }
}
