import Foundation

/// Pearson's r with its two-sided p-value (Student's t with n − 2 degrees of
/// freedom), as scipy.stats.pearsonr reports them.
public struct Correlation: Sendable, Equatable {
    /// nil when either side is constant (r is undefined).
    public let r: Double?
    public let p: Double?
    public let n: Int

    public static func pearson(_ x: [Double], _ y: [Double]) -> Correlation {
        precondition(x.count == y.count)
        let n = x.count
        guard n >= 3 else { return Correlation(r: nil, p: nil, n: n) }
        let mx = x.reduce(0, +) / Double(n)
        let my = y.reduce(0, +) / Double(n)
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for i in 0..<n {
            let dx = x[i] - mx
            let dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return Correlation(r: nil, p: nil, n: n) }
        let r = max(-1, min(1, sxy / (sxx * syy).squareRoot()))
        let df = Double(n - 2)
        guard abs(r) < 1 else { return Correlation(r: r, p: 0, n: n) }
        let t = r * (df / (1 - r * r)).squareRoot()
        // Two-sided: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2).
        return Correlation(r: r, p: regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5), n: n)
    }

    /// I_x(a, b) by its continued fraction (Lentz), the usual way.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront: Double = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x)
        let front = exp(logFront)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even: Double = m * (b - m) * x
            var numerator: Double = even / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            let odd: Double = -(a + m) * (a + b + m) * x
            numerator = odd / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return front * f / a
    }
}
