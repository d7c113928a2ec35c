import Analysis
import Checkpoint
import Core
import Experiments
import Dispatch
import Foundation
import LinearAlgebra
import Plot
import Synchronization

/// The computing half of a report: the analysis of the model and the figures
/// the spec asks for, in memory. The report's sections are built from it.
public struct ReportRun {
    public struct RenderedFigure {
        public let name: String
        public let png: Data
        public let pdf: Data
        public let caption: String
        /// Where each heatmap's cells are, for the HTML report's hover and click.
        public let cellMaps: [CellMap]
    }

    /// One heatmap of a figure: its plot area as fractions of the figure,
    /// its grid, its values and its marked heads ("L.H" → class label).
    public struct CellMap: Sendable {
        public let label: String
        public let x: Double, y: Double, width: Double, height: Double
        public let values: [[Double]]
        public let marked: [String: String]

        /// Compact JSON for a `data-` attribute (values to four decimals).
        public var json: String {
            func n(_ v: Double) -> String { String(format: "%.4f", v) }
            let rows = values.map { "[" + $0.map { String(format: "%.4g", $0) }.joined(separator: ",") + "]" }.joined(separator: ",")
            let marks = marked.keys.sorted().map { "\(JSONString.quoted($0)):\(JSONString.quoted(marked[$0]!))" }.joined(separator: ",")
            return "{\"label\":\(JSONString.quoted(label)),\"x\":\(n(x)),\"y\":\(n(y)),\"w\":\(n(width)),\"h\":\(n(height)),\"values\":[\(rows)],\"marked\":{\(marks)}}"
        }
    }

    /// One head's card: what it does, why the report shows it, its relation profile.
    public struct RenderedHeadCard: Sendable {
        public let card: HeadCard
        public let reasons: [String]
        public let profilePNG: Data
        public let profilePDF: Data
        /// `L14H1`: the card's file names and anchor.
        public var stem: String { "L\(card.layer)H\(card.head)" }
    }

    public let spec: ReportSpec
    public let modelReference: String
    public let modelPath: String
    public let analysis: ModelAnalysis
    /// The scores, with the model's path as it is displayed.
    public let document: ScoresDocument
    public let figures: [RenderedFigure]
    /// The panels of the spec's explicit figures, in order (overviews have none).
    public let explicitPanels: [PanelSpec]
    public let headCards: [RenderedHeadCard]
    /// Every head's salient operations (`salient_operations: all`), layer by layer; else empty.
    public let salientOperationsOfEveryHead: [SalientOperations]
    /// The experiments the spec asks for, run on the model.
    public let dynamic: [DynamicScores.RelationResult]
    public let ablations: [Ablation]

    public init(spec: ReportSpec, modelOverride: String?, display: (String) -> String,
                log: (String) -> Void, progress: ((Int, Int) -> Void)?) throws {
        self.spec = spec
        modelReference = modelOverride ?? spec.model
        modelPath = try ModelLocator.resolve(modelReference, relativeTo: modelOverride == nil ? spec.directory : FileManager.default.currentDirectoryPath)
        let request = ModelAnalysis.Request(modelPath: modelPath, relations: try spec.relationsToScore(), k: spec.k, minimumPairs: spec.minimumPairs,
                                            sourceRule: spec.sourceRule)
        analysis = try ModelAnalysis(request, log: log, progress: progress)
        var document = analysis.document
        document.source = display(modelPath)
        self.document = document

        var figures: [RenderedFigure] = []
        var explicitPanels: [PanelSpec] = []
        for figureSpec in spec.figures {
            var figure: Figure
            let caption: String
            var labels: [(String, [String: String])] = []
            if let panelSpecs = figureSpec.panels {
                let panels = try panelSpecs.map { try $0.panel(from: document, modelName: spec.modelName) }
                labels = panels.map { panel in
                    var marked: [String: String] = [:]
                    for markerClass in panel.markers {
                        for h in markerClass.heads where marked["\(h.layer).\(h.head)"] == nil { marked["\(h.layer).\(h.head)"] = markerClass.label }
                    }
                    return (panel.title, marked)
                }
                figure = Figure(panels: panels, columns: figureSpec.columns)
                caption = panels.map(\.title).joined(separator: " · ")
                explicitPanels += panelSpecs
            } else {
                // Small maps on one scale: one colorbar for the grid, none per panel.
                let panels = document.relations.filter { !$0.skipped }.map { r -> HeatmapPanel in
                    var panel = HeatmapPanel(title: r.title, values: r.scores, colorbarLabel: "score")
                    panel.showsColorbar = false
                    return panel
                }
                guard !panels.isEmpty else { continue }
                labels = panels.map { ($0.title, [:]) }
                figure = Figure(panels: panels, columns: figureSpec.columns ?? min(ReportSettings.overviewColumns, panels.count),
                                scale: ReportSettings.overviewScale)
                figure.sharedColorbar = ColorbarPanel(label: "score")
                caption = "Overview: \(panels.count) relations, one map each"
            }
            figure.style.fontSize = figureSpec.fontSize
            if let inches = figureSpec.widthInches { figure = try figure.fitted(toWidth: inches) }
            log("rendering figures/\(figureSpec.name).png and .pdf")
            let layout = figure.layout()
            let cellMaps = figure.panels.indices.compactMap { i -> CellMap? in
                guard let g = layout.heatmap(i), let panel = figure.panels[i] as? HeatmapPanel else { return nil }
                return CellMap(label: labels[i].0, x: g.axes.x / layout.size.width, y: g.axes.y / layout.size.height,
                               width: g.axes.width / layout.size.width, height: g.axes.height / layout.size.height,
                               values: panel.values, marked: labels[i].1)
            }
            figures.append(RenderedFigure(name: figureSpec.name, png: try figure.pngData(dpi: figureSpec.dpi), pdf: try figure.pdfData(),
                                          caption: caption, cellMaps: cellMaps))
        }
        self.explicitPanels = explicitPanels
        var sources: VocabularySources?
        if spec.salientOperationsOfEveryHead {
            let model = analysis.model
            log("salient operations of every head (\(model.shape.layers * model.shape.heads)) over the whole vocabulary")
            let every = try ReportRun.vocabularySources(model: model, layers: nil, rule: spec.sourceRule, label: "salient operations", log: log)
            var quarters = Quarters()
            salientOperationsOfEveryHead = try SalientOperations.everyHead(model: model, sources: every, tokens: analysis.loaded.tokenizer.count) { done, layers in
                if quarters.passed(done, of: layers) { log("salient operations: \(done) of \(layers) layers") }
            }
            sources = every
        } else {
            salientOperationsOfEveryHead = []
        }
        headCards = try ReportRun.headCards(spec: spec, analysis: analysis, document: document, panels: explicitPanels,
                                            modelName: spec.modelName, sources: sources, log: log)
        let experiments = try ReportRun.experiments(spec: spec, analysis: analysis, document: document, modelPath: modelPath, log: log)
        dynamic = experiments.dynamic
        ablations = experiments.ablations
        self.figures = figures + experiments.figures
    }

    /// The experiments the spec asks for (`dynamic:`, `ablation:`), and their figures.
    static func experiments(spec: ReportSpec, analysis: ModelAnalysis, document: ScoresDocument, modelPath: String,
                            log: (String) -> Void) throws -> (dynamic: [DynamicScores.RelationResult], ablations: [Ablation], figures: [RenderedFigure]) {
        var figures: [RenderedFigure] = []
        var dynamic: [DynamicScores.RelationResult] = [], ablations: [Ablation] = []
        if spec.dynamic != nil || spec.ablation != nil {
            let (decoder, _) = try Architectures.openDecoder(modelDirectory: modelPath)
            func scored(_ name: String) -> (TokenizedRelation, RelationScores)? {
                guard let i = analysis.tokenized.firstIndex(where: { $0.relation.name == name }), !analysis.tokenized[i].skipped else { return nil }
                return (analysis.tokenized[i], document.relations[i])
            }
            for name in spec.dynamic?.relations ?? [] {
                guard let (tokenized, statics) = scored(name) else { log("dynamic scores: \(name) is skipped"); continue }
                log("dynamic scores: \(name)")
                dynamic.append(try DynamicScores.run(relation: tokenized, statics: statics, model: analysis.model, decoder: decoder,
                                                     tokenizer: analysis.loaded.tokenizer, templates: spec.dynamic!.templates, log: log))
            }
            if let a = spec.ablation {
                for name in a.relations {
                    guard let (tokenized, statics) = scored(name) else { log("ablation: \(name) is skipped"); continue }
                    let control = a.control.flatMap { c in scored(c).map { ($0.0, Ablation.paperTemplates[c]!) } }
                    ablations.append(try Ablation.run(relation: tokenized, statics: statics, decoder: decoder, tokenizer: analysis.loaded.tokenizer,
                                                      template: Ablation.paperTemplates[name]!, maximumHeads: a.heads, randomDraws: a.randomDraws,
                                                      seed: a.seed, control: control, log: log))
                }
            }
            if let figure = ExperimentFigures.dynamic(dynamic, statics: document, modelName: spec.modelName) {
                log("rendering figures/dynamic.png and .pdf")
                figures.append(RenderedFigure(name: "dynamic", png: try figure.pngData(dpi: ReportSettings.defaultDPI), pdf: try figure.pdfData(),
                                              caption: "Static against dynamic scores (every head × template)", cellMaps: []))
            }
            for a in ablations {
                let title = document.relation(named: a.relation)?.title ?? a.relation
                let figure = ExperimentFigures.ablation(a, title: "\(spec.modelName.isEmpty ? "" : spec.modelName + ": ")\(title): accuracy as heads are ablated")
                figures.append(RenderedFigure(name: "ablation-\(a.relation)", png: try figure.pngData(dpi: ReportSettings.defaultDPI), pdf: try figure.pdfData(),
                                              caption: "\(title): accuracy as its top static heads are ablated, against random heads", cellMaps: []))
            }
        }
        return (dynamic, ablations, figures)
    }

    /// The cards of the top and marked heads, from one computation of the
    /// vocabulary's sources; cards are independent and run on every core.
    static func headCards(spec: ReportSpec, analysis: ModelAnalysis, document: ScoresDocument, panels: [PanelSpec],
                          modelName: String, sources computed: VocabularySources?, log: (String) -> Void) throws -> [RenderedHeadCard] {
        let choices = HeadCardSelection.choose(panels: panels, document: document, perPanel: spec.headCardsPerPanel)
        guard !choices.isEmpty else { return [] }
        log("head cards: salient operations of \(choices.count) heads over the whole vocabulary")
        let sources = try computed ?? vocabularySources(model: analysis.model, layers: Array(Set(choices.map(\.head.layer))),
                                                         rule: spec.sourceRule, label: "head cards", log: log)
        let results = Mutex([Int: Result<RenderedHeadCard, any Error>]())
        let workers = BLAS.threadCount == 1 ? choices.count : 1
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: choices.count, by: workers) {
                let result = Result { () throws -> RenderedHeadCard in
                    let head = choices[i].head
                    let card = try HeadCard(analysis: analysis, layer: head.layer, head: head.head, detailed: [],
                                            salientCount: ReportSettings.cardSalientTokens, mappings: ReportSettings.cardMappings,
                                            sources: sources)
                    let shown = card.relations.filter { !$0.skipped }
                    let titles = Dictionary(document.relations.map { ($0.name, $0.title) }, uniquingKeysWith: { a, _ in a })
                    let chart = BarChartPanel(title: "\(modelName.isEmpty ? "" : modelName + ": ")head \(head.layer).\(head.head), relation profile",
                                              labels: shown.map { titles[$0.name] ?? $0.name }, values: shown.map(\.score),
                                              secondary: shown.map(\.suppression), xLabel: "score (bars) · suppression (thin bars)")
                    let figure = Figure(panels: [chart])
                    return RenderedHeadCard(card: card, reasons: choices[i].reasons, profilePNG: try figure.pngData(dpi: ReportSettings.defaultDPI),
                                            profilePDF: try figure.pdfData())
                }
                results.withLock { $0[i] = result }
            }
        }
        return try choices.indices.map { i in try results.withLock { $0[i]! }.get() }
    }

    /// Every vocabulary token's source for `layers` (nil: all). Block 0's MLP
    /// over every token takes minutes on a 128k vocabulary, so it says how far it is.
    static func vocabularySources(model: TransformerWeights, layers: [Int]?, rule: SourceRule, label: String,
                                  log: (String) -> Void) throws -> VocabularySources {
        var quarters = Quarters()
        return try withoutActuallyEscaping(log) { log in
            try VocabularySources(model: model, layers: layers, rule: rule) { done, blocks in
                if quarters.passed(done, of: blocks) { log("\(label): block 0's MLP over the vocabulary, \(done) of \(blocks) blocks") }
            }
        }
    }

    /// "GPT-2 medium" from the spec; else the Hugging Face id it was found by
    /// (not the cache's snapshot hash); else the model folder's name.
    public var modelName: String {
        if !spec.modelName.isEmpty { return spec.modelName }
        if modelPath.contains("/snapshots/"), !modelReference.hasPrefix("/"), !modelReference.hasPrefix(".") { return modelReference }
        return (modelPath as NSString).lastPathComponent
    }
}

extension ReportRun {
    /// `heads.json` (`headmaps.heads.v1`): every card's head, why it was
    /// chosen, its scores and its salient operations, as `headmaps head` writes one.
    public func headsJSON() -> String {
        let tokenizer = analysis.loaded.tokenizer
        return HeadCard.headsDocument(headCards.map { ($0.card, $0.reasons) }, model: document.source, decode: { tokenizer.decode([$0]) })
    }
}

/// When a long loop has passed another quarter of its work, for the log
/// (not at the end: the step after it says that it is done).
private struct Quarters {
    private var logged = 0

    mutating func passed(_ done: Int, of total: Int) -> Bool {
        let quarter = 4 * done / max(total, 1)
        guard quarter > logged && quarter < 4 else { return false }
        logged = quarter
        return true
    }
}
