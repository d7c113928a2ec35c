/// Integer vectors of one fixed squared length `n`: the codes that tell
/// tokens apart inside a planted head.
///
/// Two different such vectors have a dot product of at most `n - 1`, while a
/// code with itself gives `n`. Integers are exact in F32, F16 and BF16, so a
/// planted head ranks its target first in every dtype with a margin of `1/n`.
enum IntegerCodes {
    /// The smallest `n` with at least `count` vectors, and those vectors in a
    /// fixed order.
    static func codes(dimensions: Int, count: Int) -> [[Int]] {
        var n = 1
        while true {
            let found = vectors(dimensions: dimensions, squaredLength: n)
            if found.count >= count { return Array(found.prefix(count)) }
            n += 1
        }
    }

    static func vectors(dimensions: Int, squaredLength n: Int) -> [[Int]] {
        let bound = Int(Double(n).squareRoot())
        var out: [[Int]] = []
        func extend(_ partial: [Int], _ remaining: Int) {
            if partial.count == dimensions {
                if remaining == 0 { out.append(partial) }
                return
            }
            for v in -bound...bound where v * v <= remaining {
                extend(partial + [v], remaining - v * v)
            }
        }
        extend([], n)
        return out
    }
}
