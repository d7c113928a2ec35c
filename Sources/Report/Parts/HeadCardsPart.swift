import Analysis
import Core
import Dispatch
import Foundation
import LinearAlgebra
import Plot
import Synchronization

/// Cards for the top heads of each panel and every marked head
/// (`head_cards: N`): why each is shown, its relation profile and its salient
/// operations; `heads.json`. With `salient_operations: all`, every head's
/// salient operations too (`salient.txt`).
public struct HeadCardsPart: ReportPart {
    /// One head's card: what it does, why the report shows it, its relation profile.
    public struct RenderedHeadCard: Sendable {
        public let card: HeadCard
        public let reasons: [String]
        public let profilePNG: Data
        public let profilePDF: Data
        /// `L14H1`: the card's file names and anchor.
        public var stem: String { "L\(card.layer)H\(card.head)" }
    }

    public struct Computed {
        public let cards: [RenderedHeadCard]
        public let everyHead: Bool
    }

    public let name = "headcards"
    /// Cards for the top N heads of each panel (0: none).
    public let perPanel: Int
    /// `salient_operations: all`: every head's salient operations as `salient.txt`.
    public let everyHead: Bool

    struct Rows {
        let headCards: [HeadCardEntry]
        /// `salient.txt` was written: every head's salient operations.
        let hasSalientOperationsOfEveryHead: Bool
    }

    public static let kind = ReportPartKind(keys: ["head_cards", "salient_operations"]) { yaml, _ in
        var perPanel = ReportSettings.defaultHeadCardsPerPanel
        if let cards = try yaml.int("head_cards") {
            guard (0...ReportSettings.maximumHeadCards).contains(cards) else {
                throw yaml.error("head_cards", "must be 0–\(ReportSettings.maximumHeadCards) (top heads per panel)")
            }
            perPanel = cards
        }
        var everyHead = false
        if let salient = try yaml.string("salient_operations") {
            guard ["cards", "all"].contains(salient) else {
                throw yaml.error(
                    "salient_operations",
                    "must be cards (the head cards' heads) or all (every head, in salient.txt), not "
                        + "'\(Excerpt.short(salient))'"
                )
            }
            everyHead = salient == "all"
        }
        return HeadCardsPart(perPanel: perPanel, everyHead: everyHead)
    }

    public func compute(_ context: inout ReportContext) throws -> Computed {
        let analysis = context.analysis
        let log = context.log
        if everyHead {
            let model = analysis.model
            log(
                "salient operations of every head (\(model.shape.layers * model.shape.heads)) over the whole vocabulary"
            )
            let every = try ReportContext.vocabularySources(
                model: model, layers: nil, rule: context.spec.sourceRule,
                label: "salient operations", log: log)
            var quarters = Quarters()
            let operations = try SalientOperations.everyHead(
                model: model, sources: every, tokens: analysis.loaded.tokenizer.count
            ) { done, layers in
                if quarters.passed(done, of: layers) { log("salient operations: \(done) of \(layers) layers") }
            }
            context.vocabularySources = every
            let tokenizer = analysis.loaded.tokenizer
            context.files["salient.txt"] = Data(
                SalientOperationsText.catalogue(operations, decode: { tokenizer.decode([$0]) }).utf8)
        }
        let cards = try headCards(context)
        for card in cards {
            context.files["figures/heads/\(card.stem).png"] = card.profilePNG
            context.files["figures/heads/\(card.stem).pdf"] = card.profilePDF
        }
        if !cards.isEmpty {
            let tokenizer = analysis.loaded.tokenizer
            context.files["heads.json"] = Data(
                HeadCard.headsDocument(
                    cards.map { ($0.card, $0.reasons) }, model: context.document.source,
                    decode: { tokenizer.decode([$0]) }
                ).utf8)
        }
        return Computed(cards: cards, everyHead: everyHead)
    }

    public func section(_ context: ReportContext, _ computed: Computed) -> ReportSection? {
        guard !computed.cards.isEmpty else { return nil }
        let titles = context.titles
        let entries = computed.cards.map { HeadCardEntry($0, titles: titles, decode: context.decode) }
        return ReportSection(
            rows: Rows(headCards: entries, hasSalientOperationsOfEveryHead: computed.everyHead),
            contents: ("head-cards", "Head cards"))
    }

    /// The cards of the top and marked heads, from one computation of the
    /// vocabulary's sources; cards are independent and run on every core.
    func headCards(_ context: ReportContext) throws -> [RenderedHeadCard] {
        let analysis = context.analysis
        let document = context.document
        let choices = HeadCardSelection.choose(
            panels: context.spec.figures.flatMap { $0.panels ?? [] }, document: document, perPanel: perPanel)
        guard !choices.isEmpty else { return [] }
        context.log("head cards: salient operations of \(choices.count) heads over the whole vocabulary")
        let sources =
            try context.vocabularySources
            ?? ReportContext.vocabularySources(
                model: analysis.model, layers: Array(Set(choices.map(\.head.layer))),
                rule: context.spec.sourceRule, label: "head cards", log: context.log)
        let results = Mutex([Int: Result<RenderedHeadCard, any Error>]())
        let workers = BLAS.threadCount == 1 ? choices.count : 1
        let titles = context.titles
        let prefix = context.titlePrefix
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: choices.count, by: workers) {
                let result = Result { () throws -> RenderedHeadCard in
                    let head = choices[i].head
                    let card = try HeadCard(
                        analysis: analysis, layer: head.layer, head: head.head, detailed: [],
                        salientCount: ReportSettings.cardSalientTokens, mappings: ReportSettings.cardMappings,
                        sources: sources)
                    let shown = card.relations.filter { !$0.skipped }
                    let chart = BarChartPanel(
                        title: "\(prefix)head \(head.layer).\(head.head), relation profile",
                        labels: shown.map { titles[$0.name] ?? $0.name }, values: shown.map(\.score),
                        secondary: shown.map(\.suppression), xLabel: "score (bars) · suppression (thin bars)")
                    let figure = Figure(panels: [chart])
                    return RenderedHeadCard(
                        card: card, reasons: choices[i].reasons,
                        profilePNG: try figure.pngData(dpi: ReportSettings.defaultDPI),
                        profilePDF: try figure.pdfData())
                }
                results.withLock { $0[i] = result }
            }
        }
        return try choices.indices.map { i in try results.withLock { $0[i]! }.get() }
    }
}
