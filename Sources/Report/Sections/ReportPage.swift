import Analysis
import Core
import Foundation

/// The page the root templates (`report.md`, `report.html`) render: the
/// title and summary, the table of contents, and each part's section, whose
/// partial is named by the part.
struct ReportPage {
    struct ContentsEntry {
        /// " · " before every entry but the first.
        let separator: String
        let anchor: String
        let title: String
    }

    struct PartEntry {
        let markdownPartial: String
        let htmlPartial: String
        let rows: Any
    }

    let title: String
    let summary: String
    let specSummary: String
    let hasSpecSummary: Bool
    let contents: [ContentsEntry]
    let parts: [PartEntry]

    init(context: ReportContext, sections: [(name: String, section: ReportSection)]) {
        let spec = context.spec
        let document = context.document
        let shape = document.shape
        let scored = document.relations.filter { !$0.skipped }
        let skipped = document.relations.filter(\.skipped)
        let defaults = context.analysis.model.defaultK
        let kText =
            spec.k.map { "k = \($0) for every relation" }
            ?? "k = \(defaults.copying) for copying relations, \(defaults.other) otherwise"
            + (defaults == .standard ? "" : ", as the paper used for this family")
        let sourcesText = spec.sourceRule == .mlp0 ? "" : " Sources: \(spec.sourceRule.summary)."
        let skippedText =
            skipped.isEmpty
            ? ""
            : " \(skipped.count) relation\(skipped.count == 1 ? " was" : "s were") skipped for too few single-token "
                + "pairs."
        title = spec.title
        summary = """
            HeadMaps scored each of the \(shape.layers * shape.heads) attention heads of \(context.modelName) \
            (\(Plural.count(shape.layers, "layer")) × \(Plural.count(shape.heads, "head"))) \
            for \(Plural.count(scored.count, "relation")) \
            from its parameters alone, with the MAPS method (Elhelo & Geva, ACL 2025): a head's score is the fraction \
            of a relation's pairs whose target token is among the top-k logits when the head's OV circuit is applied \
            to the source token (\(kText)); the suppression score uses the bottom-k.\(sourcesText)\(skippedText)
            """
        specSummary = spec.summary ?? ""
        hasSpecSummary = spec.summary != nil
        contents = sections.compactMap(\.section.contents).enumerated().map { i, entry in
            ContentsEntry(separator: i == 0 ? "" : " · ", anchor: entry.anchor, title: entry.title)
        }
        parts = sections.map {
            PartEntry(markdownPartial: "markdown/\($0.name)", htmlPartial: "html/\($0.name)", rows: $0.section.rows)
        }
    }
}
