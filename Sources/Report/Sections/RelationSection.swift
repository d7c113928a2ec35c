import Analysis
import Core
import Foundation

/// One relation's summary line and its best heads.
struct RelationSection {
    struct TopHead {
        let head: String
        let score: String
        let suppression: String
        let marked: String
    }

    let name: String
    /// The name as a Markdown code span.
    let codeName: String
    let title: String
    let k: Int
    let kept: Int
    let total: Int
    let aboveHigh: Int
    let highScore: String
    let top: [TopHead]
    let hasTop: Bool

    init(_ r: RelationScores, marked: Set<HeadIndex>) {
        name = r.name
        codeName = MarkdownText.codeSpan(r.name)
        title = r.title
        k = r.k
        kept = r.pairsKept
        total = r.pairsTotal
        aboveHigh = r.scores.joined().filter { $0 >= ReportSettings.highScore }.count
        highScore = "\(ReportSettings.highScore)"
        // Heads that match at least one pair, best first; a map of zeros lists none.
        top = ScoreOrder.ordered(r.scores).prefix(ReportSettings.topHeadsListed).filter { $0.score > 0 }.map { e in
            TopHead(
                head: e.head.description, score: String(format: "%.2f", e.score),
                suppression: String(format: "%.2f", r.suppression[e.head.layer][e.head.head]),
                marked: marked.contains(e.head) ? "yes" : "")
        }
        hasTop = !top.isEmpty
    }
}
