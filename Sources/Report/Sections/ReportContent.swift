import Analysis
import Core
import Foundation

/// Everything a report says, as typed sections; the Markdown and HTML
/// templates render this one value. A new section is one type here, one
/// field below, and one partial per format in `templates/`.
struct ReportContent {
    let title: String
    let summary: String
    let specSummary: String
    let hasSpecSummary: Bool
    let figures: [FigureEntry]
    let observations: [String]
    let hasObservations: Bool
    let overlap: [OverlapSection]
    let hasOverlap: Bool
    let comparisons: [ComparisonRow]
    let hasComparisons: Bool
    let relations: [RelationSection]
    let skipped: [SkippedRelation]
    let hasSkipped: Bool
    let headCards: [HeadCardEntry]
    let hasHeadCards: Bool
    /// `salient.txt` was written: every head's salient operations.
    let hasSalientOperationsOfEveryHead: Bool
    let dynamic: [DynamicRow]
    let ablation: [AblationRow]
    let hasExperiments: Bool
    let hasDynamic: Bool
    let hasAblation: Bool
    let reproduce: String
    let provenance: [ProvenanceRow]

    init(run: ReportRun, manifest: Manifest, reproduce: String, display: (String) -> String) {
        let spec = run.spec, document = run.document, shape = document.shape
        let scored = document.relations.filter { !$0.skipped }
        let skipped = document.relations.filter(\.skipped)
        let defaults = run.analysis.model.defaultK
        let kText = spec.k.map { "k = \($0) for every relation" }
            ?? "k = \(defaults.copying) for copying relations, \(defaults.other) otherwise\(defaults == .standard ? "" : ", as the paper used for this family")"
        let sourcesText = spec.sourceRule == .mlp0 ? "" : " Sources: \(spec.sourceRule.summary)."

        var observations: [String] = []
        var overlap: [OverlapSection] = []
        var seen = Set<String>()
        var markedByRelation: [String: Set<HeadIndex>] = [:]
        for panel in run.explicitPanels {
            guard let relation = document.relation(named: panel.relation) else { continue }
            let values = panel.suppression ? relation.suppression : relation.scores
            let label = panel.suppression ? "Suppression \(relation.title)" : relation.title
            if let markers = panel.markers, !panel.suppression { markedByRelation[relation.name, default: []].formUnion(markers.positiveHeads) }
            guard seen.insert("\(label)|\(panel.markers?.source ?? "")").inserted else { continue }
            observations += Observations.panel(title: label, values: values, markers: panel.markers)
            if let markers = panel.markers, !markers.allHeads.isEmpty {
                overlap.append(OverlapSection(label: label, values: values, markers: markers))
            }
        }
        var comparisons: [ComparisonRow] = []
        let mainPanels = spec.figures.first(where: { ($0.panels?.count ?? 0) >= 2 })?.panels ?? []
        for (a, b) in zip(mainPanels, mainPanels.dropFirst()) {
            guard let ra = document.relation(named: a.relation), let rb = document.relation(named: b.relation),
                  !(a.relation == b.relation && a.suppression == b.suppression) else { continue }
            let n = max(a.markers?.positiveHeads.count ?? 0, b.markers?.positiveHeads.count ?? 0, ReportSettings.minimumComparedHeads)
            let ta = a.suppression ? "Suppression \(ra.title)" : ra.title, tb = b.suppression ? "Suppression \(rb.title)" : rb.title
            let mapA = (ta, a.suppression ? ra.suppression : ra.scores), mapB = (tb, b.suppression ? rb.suppression : rb.scores)
            if let reason = Observations.tooFewToCompare(mapA, mapB, n: n) {
                observations.append(reason)
                continue
            }
            let c = Observations.comparison(mapA, mapB, n: n)
            observations.append(c.sentence)
            comparisons.append(ComparisonRow(a: ta, b: tb, n: n, shared: c.shared, jaccard: String(format: "%.2f", c.jaccard),
                                             spearman: c.spearman.map { String(format: "%.2f", $0) } ?? "n/a"))
        }

        title = spec.title
        summary = """
        HeadMaps scored each of the \(shape.layers * shape.heads) attention heads of \(run.modelName) \
        (\(Plural.count(shape.layers, "layer")) × \(Plural.count(shape.heads, "head"))) for \(Plural.count(scored.count, "relation")) \
        from its parameters alone, with the MAPS method (Elhelo & Geva, ACL 2025): a head's score is the fraction \
        of a relation's pairs whose target token is among the top-k logits when the head's OV circuit is applied to \
        the source token (\(kText)); the suppression score uses the bottom-k.\(sourcesText)\
        \(skipped.isEmpty ? "" : " \(skipped.count) relation\(skipped.count == 1 ? " was" : "s were") skipped for too few single-token pairs.")
        """
        specSummary = spec.summary ?? ""
        hasSpecSummary = spec.summary != nil
        figures = run.figures.map(FigureEntry.init)
        self.observations = observations
        hasObservations = !observations.isEmpty
        self.overlap = overlap
        hasOverlap = !overlap.isEmpty
        self.comparisons = comparisons
        hasComparisons = !comparisons.isEmpty
        relations = scored.map { RelationSection($0, marked: markedByRelation[$0.name] ?? []) }
        self.skipped = skipped.map(SkippedRelation.init)
        hasSkipped = !skipped.isEmpty
        let titles = Dictionary(document.relations.map { ($0.name, $0.title) }, uniquingKeysWith: { a, _ in a })
        let tokenizer = run.analysis.loaded.tokenizer
        headCards = run.headCards.map { HeadCardEntry($0, titles: titles, decode: { tokenizer.decode([$0]) }) }
        hasHeadCards = !headCards.isEmpty
        hasSalientOperationsOfEveryHead = !run.salientOperationsOfEveryHead.isEmpty
        dynamic = run.dynamic.map { DynamicRow($0, title: titles[$0.name] ?? $0.name) }
        ablation = run.ablations.map { AblationRow($0, title: titles[$0.relation] ?? $0.relation) }
        hasDynamic = !dynamic.isEmpty
        hasAblation = !ablation.isEmpty
        hasExperiments = hasDynamic || hasAblation
        self.reproduce = reproduce
        provenance = ReportContent.provenanceRows(run: run, manifest: manifest, display: display)
    }

    static func provenanceRows(run: ReportRun, manifest: Manifest, display: (String) -> String) -> [ProvenanceRow] {
        let spec = run.spec, document = run.document, shape = document.shape
        let scoredCount = document.relations.filter { !$0.skipped }.count
        let shownPath = display(run.modelPath)
        var rows = [
            ProvenanceRow(key: "Model", value: run.modelReference == shownPath ? run.modelReference : "\(run.modelReference) → \(shownPath)"),
            ProvenanceRow(key: "Architecture", value: "\(run.analysis.model.architecture), \(Plural.count(shape.layers, "layer")) × \(Plural.count(shape.heads, "head")), d_model \(shape.dModel), vocabulary \(shape.vocab)"),
        ]
        for entry in manifest.inputs where entry.role == "weights" || entry.role == "specification" || entry.role == "markers" {
            rows.append(ProvenanceRow(key: entry.role.prefix(1).uppercased() + entry.role.dropFirst(),
                                      value: "\(entry.path), \(ByteCountFormatting.string(entry.bytes)), SHA-256 \(entry.sha256.prefix(16))…"))
        }
        rows += [
            ProvenanceRow(key: "Relations", value: "\(document.relations.count) (\(scoredCount) scored, \(document.relations.count - scoredCount) skipped)"),
            ProvenanceRow(key: "Settings", value: "k = \(spec.k.map(String.init) ?? "\(run.analysis.model.defaultK.copying) for copying, \(run.analysis.model.defaultK.other) otherwise (\(run.analysis.model.defaultK.rule) rule)"); sources \(spec.sourceRule.rawValue); at least \(spec.minimumPairs) single-token pairs"),
            // Versions only (environment.json has this machine's facts).
            ProvenanceRow(key: "Software", value: manifest.software
                .map { "\($0.0) \($0.0 == "openblas" ? String($0.1.split(separator: " ").dropFirst().first ?? "") : $0.1)" }.joined(separator: "; ")),
            ProvenanceRow(key: "Manifest", value: "manifest.json lists every input and output with its SHA-256"),
        ]
        return rows
    }
}
