/// Timings are printed in seconds; Duration keeps them in (seconds, attoseconds).
extension Duration {
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
