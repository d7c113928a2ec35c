import Analysis
import ArgumentParser
import Core
import Foundation
import Plot
import Report

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw heatmaps of a scores file: one panel per --relation, side by side, to PNG, PDF or SVG.",
        discussion: """
            A panel shows a relation's scores, or its suppression scores with --relation NAME:suppression \
            (or --suppression for every panel). --range and --colorbar-label apply to every panel.
            """)

    @Option(name: .long, help: "A headmaps.scores.v1 file (from `headmaps scores`).")
    var scores: String

    @Option(
        name: .long,
        help: "Relation to draw (repeatable: one panel each); NAME:suppression draws its suppression scores.")
    var relation: [String]

    @Flag(name: .long, help: "Draw suppression scores (target in the bottom-k) on every panel.")
    var suppression = false

    @Option(name: .long, help: "Value range of the colour scale, MIN:MAX (default 0:1).")
    var range: String?

    @Option(name: .long, help: "Colorbar label of every panel (default: \"Relation score\").")
    var colorbarLabel: String?

    @Option(
        name: .long, help: "A marker set (YAML) of heads to mark with x / o: one for all panels, or one per --relation."
    )
    var markers: [String] = []

    @Option(name: .long, help: "Panel title (repeatable, one per --relation). Default: \"MODEL: Relation heads\".")
    var title: [String] = []

    @Option(name: .long, help: "Model name used in default titles.")
    var modelName: String = ""

    @Option(name: .long, help: "Legend placement: best (inside, where it hides least) or below.")
    var legend: String = "best"

    @Option(name: .long, help: "Colormap: viridis, or diverging (for signed values).")
    var colormap: String = "viridis"

    @Option(name: .long, help: "PNG resolution.")
    var dpi: Double = 150

    @Option(name: .long, help: "Figure width in inches (the plot areas are scaled to fit; text keeps its size).")
    var widthIn: Double?

    @Option(name: .long, help: "Base font size in points (axis labels; titles are 1.2×, ticks 0.8×).")
    var fontSize: Double = 10

    @Option(name: .long, help: "Output format: png, pdf or svg (default: the extension of --out).")
    var format: String?

    @Option(name: .long, help: "Output file: .png, .pdf or .svg.")
    var out: String

    @Flag(name: .long, help: "No progress output (this command writes none; accepted as by every command).")
    var quiet = false

    func run() throws {
        try reportingErrors {
            try OutputGuard.check(
                [.init(out, option: "--out")],
                inputs: [.init(scores, role: "the scores file")] + markers.map { .init($0, role: "a marker set") })
            guard title.isEmpty || title.count == relation.count else {
                throw CLIError("give one --title per --relation (\(relation.count)), or none")
            }
            guard markers.count <= 1 || markers.count == relation.count else {
                throw CLIError("give one --markers for all panels or one per --relation (\(relation.count))")
            }
            guard let placement = LegendPlacement(rawValue: legend) else {
                throw CLIError("--legend must be best or below")
            }
            guard let map = Colormap.named(colormap) else { throw CLIError("--colormap must be viridis or diverging") }
            var valueRange: ClosedRange<Double>?
            if let range {
                let parts = range.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
                guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo < hi else {
                    throw CLIError("--range must be MIN:MAX with finite MIN < MAX, not '\(Excerpt.short(range))'")
                }
                valueRange = lo...hi
            }
            if let format, !["png", "pdf", "svg"].contains(format.lowercased()) {
                throw CLIError("--format must be png, pdf or svg")
            }
            let document = try ScoresDocument.read(path: scores)
            let markerSets = try markers.map { try MarkerSet.load(file: $0) }
            let panels = try relation.enumerated().map { i, entry -> HeatmapPanel in
                let perPanelSuppression = entry.hasSuffix(":suppression")
                var spec = PanelSpec(
                    relation: perPanelSuppression ? String(entry.dropLast(":suppression".count)) : entry)
                spec.suppression = suppression || perPanelSuppression
                if let valueRange { spec.range = valueRange }
                spec.colorbarLabel = colorbarLabel
                spec.title = title.isEmpty ? nil : title[i]
                spec.markers = markerSets.count == 1 ? markerSets[0] : markerSets.isEmpty ? nil : markerSets[i]
                spec.legend = placement
                spec.colormap = map
                return try spec.panel(from: document, modelName: modelName)
            }
            var figure = Figure(panels: panels, fontSize: fontSize)
            if let widthIn { figure = try figure.fitted(toWidth: widthIn) }
            try FigureFiles.write(figure, to: out, format: format, dpi: dpi)
            print("wrote \(out)")
        }
    }
}
