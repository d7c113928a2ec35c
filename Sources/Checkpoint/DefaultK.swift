/// The paper's choice of k for a family: 1 for copying relations and 10 for
/// the rest, except for Llama 3, whose 128k-token vocabulary made it use 3 and
/// 25. An adapter picks the rule; runs record which one applied.
public struct DefaultK: Sendable, Equatable {
    public let copying: Int
    public let other: Int
    /// A short name for the rule, recorded in scores files ("standard", "llama3").
    public let rule: String
    /// Why it applies, for a person reading the log.
    public let reason: String

    public init(copying: Int, other: Int, rule: String, reason: String) {
        self.copying = copying
        self.other = other
        self.rule = rule
        self.reason = reason
    }

    public static let standard = DefaultK(copying: 1, other: 10, rule: "standard", reason: "the paper's default")
    public static func llama3(vocabulary: Int) -> DefaultK {
        DefaultK(
            copying: 3, other: 25, rule: "llama3",
            reason: "a Llama 3 family checkpoint (vocabulary of \(vocabulary)), as the paper scored Llama-3.1")
    }
}
