import Analysis
import Core

/// Which heads a report gives a card, and why: the top heads of every figure
/// panel (by the values that panel shows) and every head its marker set marks.
public enum HeadCardSelection {
    public struct Choice: Equatable, Sendable {
        public let head: HeadIndex
        /// "top 1 of Name Copying (1.00)", "marked Mover Heads on Name Copying".
        public var reasons: [String]
    }

    /// - Parameter perPanel: top heads per panel (heads scoring 0 are never "top").
    public static func choose(
        panels: [PanelSpec], document: ScoresDocument, perPanel: Int,
        limit: Int = ReportSettings.maximumHeadCards
    ) -> [Choice] {
        var choices: [Choice] = []
        func add(_ head: HeadIndex, _ reason: String) {
            if let i = choices.firstIndex(where: { $0.head == head }) {
                if !choices[i].reasons.contains(reason) { choices[i].reasons.append(reason) }
            } else if choices.count < limit {
                choices.append(Choice(head: head, reasons: [reason]))
            }
        }
        for panel in panels {
            guard let relation = document.relation(named: panel.relation), !relation.skipped else { continue }
            let values = panel.suppression ? relation.suppression : relation.scores
            let label = panel.suppression ? "Suppression \(relation.title)" : relation.title
            let ranked = values.enumerated().flatMap { l, row in
                row.enumerated().map { h, v in (HeadIndex(layer: l, head: h), v) }
            }
            .filter { $0.1 > 0 }
            .sorted { ($1.1, $0.0.layer, $0.0.head) < ($0.1, $1.0.layer, $1.0.head) }
            for (rank, (head, value)) in ranked.prefix(perPanel).enumerated() {
                add(head, "top \(rank + 1) of \(label) (\(String(format: "%.2f", value)))")
            }
            for markerClass in panel.markers?.classes ?? [] where !markerClass.isControl {
                for head in markerClass.heads.sorted(by: { ($0.layer, $0.head) < ($1.layer, $1.head) }) {
                    add(head, "marked \(markerClass.label) on \(label)")
                }
            }
        }
        return choices
    }
}
