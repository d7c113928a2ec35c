import Analysis
import Core
import Foundation

/// What the spec's explicit panels say about the scores: a sentence per map
/// and per pair of neighbouring maps, each marked map's overlap with its
/// markers, the comparisons of neighbouring maps, and the heads marked on
/// each relation. The observations, overlap, comparisons and relations
/// parts each show one side of it.
struct PanelFindings {
    var observations: [String] = []
    var overlap: [OverlapSection] = []
    var comparisons: [ComparisonRow] = []
    var markedByRelation: [String: Set<HeadIndex>] = [:]

    init(figures: [FiguresPart.Figure], document: ScoresDocument) {
        var seen = Set<String>()
        for panel in figures.flatMap({ $0.panels ?? [] }) {
            guard let relation = document.relation(named: panel.relation) else { continue }
            let values = panel.suppression ? relation.suppression : relation.scores
            let label = panel.suppression ? "Suppression \(relation.title)" : relation.title
            if let markers = panel.markers, !panel.suppression {
                markedByRelation[relation.name, default: []].formUnion(markers.positiveHeads)
            }
            guard seen.insert("\(label)|\(panel.markers?.source ?? "")").inserted else { continue }
            observations += Observations.panel(title: label, values: values, markers: panel.markers)
            if let markers = panel.markers, !markers.allHeads.isEmpty {
                overlap.append(OverlapSection(label: label, values: values, markers: markers))
            }
        }
        let mainPanels = figures.first(where: { ($0.panels?.count ?? 0) >= 2 })?.panels ?? []
        for (a, b) in zip(mainPanels, mainPanels.dropFirst()) {
            guard let ra = document.relation(named: a.relation), let rb = document.relation(named: b.relation),
                !(a.relation == b.relation && a.suppression == b.suppression)
            else { continue }
            let n = max(
                a.markers?.positiveHeads.count ?? 0, b.markers?.positiveHeads.count ?? 0,
                ReportSettings.minimumComparedHeads)
            let ta = a.suppression ? "Suppression \(ra.title)" : ra.title
            let tb = b.suppression ? "Suppression \(rb.title)" : rb.title
            let mapA = (ta, a.suppression ? ra.suppression : ra.scores)
            let mapB = (tb, b.suppression ? rb.suppression : rb.scores)
            if let reason = Observations.tooFewToCompare(mapA, mapB, n: n) {
                observations.append(reason)
                continue
            }
            let c = Observations.comparison(mapA, mapB, n: n)
            observations.append(c.sentence)
            comparisons.append(
                ComparisonRow(
                    a: ta, b: tb, n: n, shared: c.shared, jaccard: String(format: "%.2f", c.jaccard),
                    spearman: c.spearman.map { String(format: "%.2f", $0) } ?? "n/a"))
        }
    }

}
