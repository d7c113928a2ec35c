import Analysis
import Foundation

/// One head card as the report shows it: why it is there, its relation
/// profile, its strongest relations and its salient operations.
struct HeadCardEntry {
    struct SalientRow {
        let amplification: String
        let token: String
        let mappings: String
    }

    let anchor: String
    let title: String
    let reasons: String
    let png: String
    let pdf: String
    let dataURI: String
    let strongest: String
    let sourceNote: String
    let salient: [SalientRow]

    init(_ rendered: HeadCardsPart.RenderedHeadCard, titles: [String: String], decode: (Int) -> String) {
        let card = rendered.card
        anchor = "head-\(card.layer)-\(card.head)"
        title = "Head \(card.layer).\(card.head)"
        reasons = rendered.reasons.joined(separator: "; ")
        png = "figures/heads/\(rendered.stem).png"
        pdf = "figures/heads/\(rendered.stem).pdf"
        dataURI = "data:image/png;base64," + rendered.profilePNG.base64EncodedString()
        let best = card.relations.filter { !$0.skipped && $0.score > 0 }.sorted {
            ($1.score, $0.name) < ($0.score, $1.name)
        }.prefix(3)
        strongest =
            best.isEmpty
            ? "no relation: it ranks no target in its top k"
            : best.map {
                "\(titles[$0.name] ?? $0.name) \(String(format: "%.2f", $0.score)) (rank \($0.rank) of \($0.of))"
            }.joined(separator: ", ")
        sourceNote =
            card.salientRule.name(layer: card.layer) == "embedding"
            ? "sources: the raw embedding" : "sources: block 0's MLP output"
        func token(_ id: Int) -> String { "'" + decode(id).replacingOccurrences(of: "\n", with: "\\n") + "'" }
        salient = card.salient.operations.map { op in
            SalientRow(
                amplification: String(format: "%.3f", op.amplification), token: token(op.tokenID),
                mappings: op.mappings.map { token($0.tokenID) }.joined(separator: ", "))
        }
    }
}
