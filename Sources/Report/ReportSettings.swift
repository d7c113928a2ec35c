/// The thresholds and sizes that shape a report's words and tables, defined
/// once and recorded in the manifest from here.
public enum ReportSettings {
    /// "Scores at least …" in observations and the per-relation summary.
    public static let highScore = 0.5
    public static let veryHighScore = 0.8
    /// Heads listed per relation under "Top heads".
    public static let topHeadsListed = 10
    /// Two maps' top-N sets compare at least this many heads.
    public static let minimumComparedHeads = 5
    /// Jaccard of two top-N sets at or above which the heads are "largely" / above which "partly" the same.
    public static let largelyTheSame = 0.5
    public static let partlyTheSame = 0.2
    /// The overview grid of all relations.
    public static let overviewColumns = 5
    public static let overviewScale = 0.5
    public static let defaultDPI = 150.0
    /// Head cards: the top heads of each panel by default, and at most this many cards.
    public static let defaultHeadCardsPerPanel = 3
    public static let maximumHeadCards = 64
    /// Salient tokens shown on a card, and mapped tokens per salient token.
    public static let cardSalientTokens = 10
    public static let cardMappings = 5

    public static var recorded: [(String, String)] {
        [
            ("observation_thresholds", "\(highScore), \(veryHighScore)"), ("top_heads_listed", String(topHeadsListed)),
            ("minimum_compared_heads", String(minimumComparedHeads)),
            ("jaccard_verdicts", "\(largelyTheSame), \(partlyTheSame)"),
            ("head_card_salient_tokens", "\(cardSalientTokens) × \(cardMappings)"),
        ]
    }
}
