import Analysis
import Foundation
import Plot

/// The computing half of a report: the analysis of the model and the figures
/// the spec asks for, in memory. The report's sections are built from it.
public struct ReportRun {
    public struct RenderedFigure {
        public let name: String
        public let png: Data
        public let pdf: Data
        public let caption: String
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
            if let panelSpecs = figureSpec.panels {
                let panels = try panelSpecs.map { try $0.panel(from: document, modelName: spec.modelName) }
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
                figure = Figure(panels: panels, columns: figureSpec.columns ?? min(ReportSettings.overviewColumns, panels.count),
                                scale: ReportSettings.overviewScale)
                figure.sharedColorbar = ColorbarPanel(label: "score")
                caption = "Overview: \(panels.count) relations, one map each"
            }
            figure.style.fontSize = figureSpec.fontSize
            if let inches = figureSpec.widthInches { figure = try figure.fitted(toWidth: inches) }
            log("rendering figures/\(figureSpec.name).png and .pdf")
            figures.append(RenderedFigure(name: figureSpec.name, png: try figure.pngData(dpi: figureSpec.dpi), pdf: try figure.pdfData(), caption: caption))
        }
        self.figures = figures
        self.explicitPanels = explicitPanels
    }

    /// "GPT-2 medium" from the spec; else the Hugging Face id it was found by
    /// (not the cache's snapshot hash); else the model folder's name.
    public var modelName: String {
        if !spec.modelName.isEmpty { return spec.modelName }
        if modelPath.contains("/snapshots/"), !modelReference.hasPrefix("/"), !modelReference.hasPrefix(".") { return modelReference }
        return (modelPath as NSString).lastPathComponent
    }
}
