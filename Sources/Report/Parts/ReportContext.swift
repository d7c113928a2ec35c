import Analysis
import Checkpoint
import Core
import Dispatch
import Experiments
import Foundation
import LinearAlgebra
import Plot
import Synchronization

/// What every part of a report shares: the spec, the model and its
/// analysis (scored once), and what the parts add as they compute: figures,
/// output files, the vocabulary's sources when one part computed them.
public struct ReportContext {
    public struct RenderedFigure {
        public let name: String
        public let png: Data
        public let pdf: Data
        public let caption: String
        /// Where each heatmap's cells are, for the HTML report's hover and click.
        public let cellMaps: [CellMap]

        public init(name: String, png: Data, pdf: Data, caption: String, cellMaps: [CellMap]) {
            self.name = name
            self.png = png
            self.pdf = pdf
            self.caption = caption
            self.cellMaps = cellMaps
        }
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
            let rows = values.map { "[" + $0.map { String(format: "%.4g", $0) }.joined(separator: ",") + "]" }.joined(
                separator: ",")
            let marks = marked.keys.sorted().map { "\(JSONString.quoted($0)):\(JSONString.quoted(marked[$0]!))" }
                .joined(separator: ",")
            return "{\"label\":\(JSONString.quoted(label)),\"x\":\(n(x)),\"y\":\(n(y)),\"w\":\(n(width)),"
                + "\"h\":\(n(height)),\"values\":[\(rows)],\"marked\":{\(marks)}}"
        }
    }

    /// One model of the report, scored: in a study, each of its models or revisions.
    public struct Member {
        public let label: String
        public let reference: String
        public let path: String
        /// The scores, with the model's path as it is displayed.
        public let document: ScoresDocument
        /// Its config and tokenizer files, and its weight files (for the manifest).
        public let descriptionFiles: [String]
        public let weightFiles: [String]
    }

    public let spec: ReportSpec
    public let modelReference: String
    public let modelPath: String
    /// The analysis of the model the single-model sections describe (a study's primary member).
    public let analysis: ModelAnalysis
    /// The scores, with the model's path as it is displayed.
    public let document: ScoresDocument
    /// Every model the report scores, in the spec's order; one outside a study.
    public let members: [Member]
    /// What the spec's explicit panels say of the scores, worked out once for the parts that show it.
    let panelFindings: PanelFindings
    /// The command that rebuilds the report.
    public let reproduce: String
    /// The figures the report shows, in order (the parts add theirs as they compute).
    public var figures: [RenderedFigure] = []
    /// Output files by path relative to the report folder (the parts add theirs).
    public var files: [String: Data] = [:]
    /// Every vocabulary token's source, where a part computed it for every layer.
    public var vocabularySources: VocabularySources?
    /// The inputs, settings and software, once every part has computed.
    public var manifest = Manifest()
    public let display: (String) -> String
    public let log: (String) -> Void

    public init(
        spec: ReportSpec, modelOverride: String?, reproduce: String, display: @escaping (String) -> String,
        log: @escaping (String) -> Void, progress: ((Int, Int) -> Void)?
    ) throws {
        self.spec = spec
        self.reproduce = reproduce
        self.display = display
        self.log = log
        // --model replaces the spec's model (a study's too) with one model.
        let wanted = modelOverride.map { [ReportSpec.Member(label: $0, reference: $0)] } ?? spec.members
        let primary = modelOverride == nil ? spec.primaryMember : 0
        let base = modelOverride == nil ? spec.directory : FileManager.default.currentDirectoryPath
        let relations = try spec.relationsToScore()
        var members: [Member] = []
        var primaryAnalysis: ModelAnalysis?
        for (i, member) in wanted.enumerated() {
            if wanted.count > 1 { log("model \(i + 1) of \(wanted.count): \(member.reference)") }
            let path = try ModelLocator.resolve(member.reference, relativeTo: base)
            let request = ModelAnalysis.Request(
                modelPath: path, relations: relations, k: spec.k,
                minimumPairs: spec.minimumPairs, sourceRule: spec.sourceRule)
            // Only the primary member's weights stay in memory; the others leave their scores.
            let analysis = try ModelAnalysis(request, log: log, progress: progress)
            var document = analysis.document
            document.source = display(path)
            members.append(
                Member(
                    label: member.label, reference: member.reference, path: path, document: document,
                    descriptionFiles: analysis.loaded.descriptionFiles, weightFiles: analysis.checkpoint.weightFiles))
            if i == primary { primaryAnalysis = analysis }
        }
        self.members = members
        analysis = primaryAnalysis!
        modelReference = members[primary].reference
        modelPath = members[primary].path
        document = members[primary].document
        panelFindings = PanelFindings(figures: spec.figures, document: document)
    }

    /// A study: several models or revisions.
    public var isStudy: Bool { members.count > 1 }

    /// Relation name → its title, for the sections' tables.
    public var titles: [String: String] {
        Dictionary(document.relations.map { ($0.name, $0.title) }, uniquingKeysWith: { a, _ in a })
    }

    /// A token as a person reads it (`' Paris'`).
    public func decode(_ id: Int) -> String { analysis.loaded.tokenizer.decode([id]) }

    /// "GPT-2 medium: " before a figure's title, when the spec names the model.
    public var titlePrefix: String { spec.modelName.isEmpty ? "" : spec.modelName + ": " }

    /// Every vocabulary token's source for `layers` (nil: all). Block 0's MLP
    /// over every token takes minutes on a 128k vocabulary, so it says how far it is.
    static func vocabularySources(
        model: TransformerWeights, layers: [Int]?, rule: SourceRule, label: String,
        log: (String) -> Void
    ) throws -> VocabularySources {
        var quarters = Quarters()
        return try withoutActuallyEscaping(log) { log in
            try VocabularySources(model: model, layers: layers, rule: rule) { done, blocks in
                if quarters.passed(done, of: blocks) {
                    log("\(label): block 0's MLP over the vocabulary, \(done) of \(blocks) blocks")
                }
            }
        }
    }

    /// "GPT-2 medium" from the spec; else the Hugging Face id it was found by
    /// (not the cache's snapshot hash); else the model folder's name.
    public var modelName: String {
        if !spec.modelName.isEmpty { return spec.modelName }
        if modelPath.contains("/snapshots/"), !modelReference.hasPrefix("/"), !modelReference.hasPrefix(".") {
            return modelReference
        }
        return (modelPath as NSString).lastPathComponent
    }
}

/// When a long loop has passed another quarter of its work, for the log
/// (not at the end: the step after it says that it is done).
struct Quarters {
    private var logged = 0

    mutating func passed(_ done: Int, of total: Int) -> Bool {
        let quarter = 4 * done / max(total, 1)
        guard quarter > logged && quarter < 4 else { return false }
        logged = quarter
        return true
    }
}
