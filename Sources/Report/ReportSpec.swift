import Core
import Analysis
import Experiments
import Foundation
import Plot

/// A report specification: which model, which relations, which figures.
///
/// ```yaml
/// title: "GPT-2 medium: name copying and country-to-capital heads"
/// model: gpt2-medium              # a directory (relative to this file) or a Hugging Face id
/// model_name: GPT-2 medium        # used in panel titles
/// relations: [name_copying, country_to_capital]   # or: all (the default)
/// relation_files: []              # MAPS-format JSON files, relative to this file
/// k: 10                           # optional: override every relation's k (default: the family's, as the paper)
/// sources: mlp0                   # optional: mlp0 (the method), embedding, mlp0-all-layers
/// head_cards: 3                   # cards for the top N heads of each panel and every marked head (0: none)
/// salient_operations: cards       # or: all (also salient.txt, every head's salient operations)
/// dynamic:                        # optional: the paper's experiment 1 (GPT-2 family)
///   relations: [name_copying]     #   default: the relations of the figures' panels
///   templates: ["No <X> means no"] #  default: the paper's four
/// ablation:                       # optional: the paper's experiment 2
///   relations: [country_to_capital]
///   heads: 150
///   random_draws: 5
///   seed: 0
///   control: name_copying         #   optional: the heads ablated on this relation's task too
/// min_pairs: 30
/// figures:
///   - name: figure                # figures/figure.png and .pdf
///     columns: 2
///     panels:
///       - relation: name_copying
///         suppression: false
///         title: "GPT-2 medium: Name Copying heads"
///         colorbar_label: Name Copying score
///         markers: markers/gpt2-medium-mover-heads.yaml
///         range: [0, 1]
///         colormap: viridis       # or: diverging
///         legend: best            # or: below
///   - name: overview
///     columns: 5
///     panels: all                 # one small panel per scored relation
/// ```
public struct ReportSpec {
    public struct Figure {
        public var name: String
        public var columns: Int?
        /// `nil`: one compact panel per scored relation.
        public var panels: [PanelSpec]?
        public var dpi: Double = ReportSettings.defaultDPI
        /// The figure's width in inches (its plot areas are scaled to fit); nil: natural size.
        public var widthInches: Double?
        public var fontSize: Double = 10
    }

    public var file: String
    public var name: String
    public var title: String
    public var summary: String?
    public var model: String
    public var modelName: String
    public var relations: [String]?
    public var relationFiles: [String]
    public var k: Int?
    public var sourceRule: SourceRule = .mlp0
    public var headCardsPerPanel = ReportSettings.defaultHeadCardsPerPanel
    /// `salient_operations: all`: every head's salient operations as `salient.txt`.
    public var salientOperationsOfEveryHead = false
    /// The experiments that run the model, when the spec asks for them.
    public var dynamic: DynamicSpec?
    public var ablation: AblationSpec?

    public struct DynamicSpec: Sendable {
        public var relations: [String]
        public var templates: [String]
    }

    public struct AblationSpec: Sendable {
        public var relations: [String]
        public var heads = 150
        public var randomDraws = 5
        public var seed: UInt64 = 0
        public var control: String?
    }
    public var minimumPairs: Int
    public var figures: [Figure]

    /// Paths inside the spec are relative to its folder.
    public var directory: String {
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Relative paths in a spec are relative to its folder; the spec's own
    /// path is made absolute first, so nothing derived from it depends on
    /// where the command was typed.
    public static func load(file: String) throws -> ReportSpec {
        let absolute = Paths.absolute(file)
        return try parse(try YAMLMapping.load(file: absolute), file: absolute)
    }

    /// A spec from its YAML; paths in it are relative to `file`'s folder.
    public static func parse(_ yaml: YAMLMapping, file: String) throws -> ReportSpec {
        try yaml.allowKeys(["title", "summary", "model", "model_name", "relations", "relation_files", "k", "sources", "head_cards", "salient_operations", "dynamic", "ablation", "min_pairs", "figures"])
        let folder = (file as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : (directory as NSString).appendingPathComponent(p) }

        var relations: [String]?
        if let all = try? yaml.string("relations"), all == "all" {
            relations = nil
        } else if let list = try yaml.scalars("relations") {
            relations = list.map(\.text)
            for (name, line) in list where !BuiltinRelations.names.contains(name) {
                throw SpecError(file: file, line: line, key: "relations",
                                message: "unknown relation '\(Excerpt.short(name))'; built-in relations are: \(BuiltinRelations.names.joined(separator: ", "))")
            }
        }
        let relationFiles = try yaml.scalars("relation_files")?.map { path($0.text) } ?? []
        let k = try yaml.int("k")
        if let k, k < 1 { throw yaml.error("k", "must be at least 1") }
        let minimumPairs = try yaml.int("min_pairs") ?? TokenizedRelation.defaultMinimumPairs
        if minimumPairs < 1 { throw yaml.error("min_pairs", "must be at least 1, as --min-pairs") }
        var sourceRule = SourceRule.mlp0
        if let name = try yaml.string("sources") {
            guard let rule = SourceRule(rawValue: name) else {
                throw yaml.error("sources", "must be \(SourceRule.allCases.map(\.rawValue).joined(separator: ", ")), not '\(Excerpt.short(name))'")
            }
            sourceRule = rule
        }

        var figures: [Figure] = []
        var figureNames: [String: Int?] = [:]
        for f in try yaml.mappings("figures") ?? [] {
            try f.allowKeys(["name", "columns", "panels", "dpi", "width_in", "font_size"])
            let name = try f.requiredString("name")
            guard name.range(of: "^[A-Za-z0-9_-]+$", options: .regularExpression) != nil else {
                throw f.error("name", "'\(Excerpt.short(name))' must be letters, digits, '-' or '_' (it names the figure's files)")
            }
            if let earlier = figureNames[name] {
                throw f.error("name", "'\(name)' names two figures (also at line \(earlier.map(String.init) ?? "?")); each figure needs its own name, it names its files")
            }
            figureNames[name] = f.line
            let dpi = try f.double("dpi") ?? ReportSettings.defaultDPI
            guard FigureLimits.dpi.contains(dpi) else {
                throw f.error("dpi", "must be a number from \(Int(FigureLimits.dpi.lowerBound)) to \(Int(FigureLimits.dpi.upperBound)), not \(dpi)")
            }
            if let columns = try f.int("columns"), columns < 1 || columns > FigureLimits.columns {
                throw f.error("columns", "must be from 1 to \(FigureLimits.columns), not \(columns)")
            }
            var figure = Figure(name: name, columns: try f.int("columns"), panels: nil, dpi: dpi)
            if let width = try f.double("width_in") {
                guard width.isFinite, width > 0, width <= 200 else { throw f.error("width_in", "must be a number of inches above 0 and at most 200, not \(width)") }
                figure.widthInches = width
            }
            if let size = try f.double("font_size") {
                guard size.isFinite, FigureStyle.fontSizes.contains(size) else {
                    throw f.error("font_size", "must be from \(Int(FigureStyle.fontSizes.lowerBound)) to \(Int(FigureStyle.fontSizes.upperBound)) points, not \(size)")
                }
                figure.fontSize = size
            }
            if let all = try? f.string("panels"), all == "all" {
                figure.panels = nil
            } else {
                guard let panels = try f.mappings("panels"), !panels.isEmpty else {
                    throw f.error("panels", "is required: a list of panels, or 'all'")
                }
                figure.panels = try panels.map { try panel($0, path: path) }
            }
            figures.append(figure)
        }
        if figures.isEmpty { figures = [Figure(name: "overview", columns: 5, panels: nil)] }

        var spec = ReportSpec(file: file, name: ((file as NSString).lastPathComponent as NSString).deletingPathExtension,
                          title: try yaml.string("title") ?? "HeadMaps report",
                          summary: try yaml.string("summary"),
                          model: try yaml.requiredString("model"),
                          modelName: try yaml.string("model_name") ?? "",
                          relations: relations, relationFiles: relationFiles, k: k, minimumPairs: minimumPairs, figures: figures)
        spec.sourceRule = sourceRule
        if let cards = try yaml.int("head_cards") {
            guard (0...ReportSettings.maximumHeadCards).contains(cards) else {
                throw yaml.error("head_cards", "must be 0–\(ReportSettings.maximumHeadCards) (top heads per panel)")
            }
            spec.headCardsPerPanel = cards
        }
        if let salient = try yaml.string("salient_operations") {
            guard ["cards", "all"].contains(salient) else {
                throw yaml.error("salient_operations", "must be cards (the head cards' heads) or all (every head, in salient.txt), not '\(Excerpt.short(salient))'")
            }
            spec.salientOperationsOfEveryHead = salient == "all"
        }
        let panelRelations = spec.figures.flatMap { $0.panels ?? [] }.map(\.relation).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        func names(_ m: YAMLMapping) throws -> [String] {
            let list = try m.scalars("relations")?.map(\.text) ?? panelRelations
            let scored = try spec.relationsToScore().map(\.name)
            for name in list where !scored.contains(name) {
                throw m.error("relations", "'\(Excerpt.short(name))' is not among the relations this report scores (\(scored.joined(separator: ", ")))")
            }
            guard !list.isEmpty else { throw m.error("relations", "is empty, and the report has no figure panels to take them from") }
            return list
        }
        if let d = try yaml.mapping("dynamic") {
            try d.allowKeys(["relations", "templates"])
            let templates = try d.scalars("templates")?.map(\.text) ?? DynamicScores.paperTemplates
            for t in templates where t.components(separatedBy: "<X>").count != 2 {
                throw d.error("templates", "template '\(Excerpt.short(t))' must hold <X> exactly once")
            }
            var seen = Set<[UInt8]>()
            for t in templates where !seen.insert(Array(t.utf8)).inserted {
                throw d.error("templates", "template '\(Excerpt.short(t))' is listed twice")
            }
            spec.dynamic = DynamicSpec(relations: try names(d), templates: templates)
        }
        if let a = try yaml.mapping("ablation") {
            try a.allowKeys(["relations", "heads", "random_draws", "seed", "control"])
            var ablation = AblationSpec(relations: try names(a))
            for name in ablation.relations where Ablation.paperTemplates[name] == nil {
                throw a.error("relations", "'\(name)' has no task template in the paper (those that do: \(Ablation.paperTemplates.keys.sorted().joined(separator: ", ")))")
            }
            ablation.heads = try a.int("heads") ?? 150
            ablation.randomDraws = try a.int("random_draws") ?? 5
            guard (1...10_000).contains(ablation.heads), (0...100).contains(ablation.randomDraws) else {
                throw a.error("heads", "heads must be 1–10000 and random_draws 0–100")
            }
            let seed = try a.int("seed") ?? 0
            guard seed >= 0 else { throw a.error("seed", "must be 0 or more, as --seed") }
            ablation.seed = UInt64(seed)
            ablation.control = try a.string("control")
            if let c = ablation.control, Ablation.paperTemplates[c] == nil || !BuiltinRelations.names.contains(c) {
                throw a.error("control", "'\(Excerpt.short(c))' is not a built-in relation with a task template")
            }
            spec.ablation = ablation
        }
        return spec
    }

    static func panel(_ p: YAMLMapping, path: (String) -> String) throws -> PanelSpec {
        try p.allowKeys(["relation", "suppression", "title", "colorbar_label", "markers", "range", "colormap", "legend"])
        var spec = PanelSpec(relation: try p.requiredString("relation"))
        spec.suppression = try p.bool("suppression") ?? false
        spec.title = try p.string("title")
        spec.colorbarLabel = try p.string("colorbar_label")
        if let markers = try p.string("markers") {
            let file = path(markers)
            guard FileManager.default.fileExists(atPath: file) else { throw p.error("markers", "file \(file) does not exist") }
            spec.markers = try MarkerSet.load(file: file)
        }
        if let range = try p.scalars("range") {
            guard range.count == 2, let lo = Double(range[0].text), let hi = Double(range[1].text),
                  lo.isFinite, hi.isFinite, lo < hi else {
                throw p.error("range", "must be [low, high]: finite numbers with low < high")
            }
            spec.range = lo...hi
        }
        if let name = try p.string("colormap") {
            guard let map = Colormap.named(name) else { throw p.error("colormap", "must be viridis or diverging, not '\(Excerpt.short(name))'") }
            spec.colormap = map
        }
        if let legend = try p.string("legend") {
            guard let placement = LegendPlacement(rawValue: legend) else { throw p.error("legend", "must be best or below, not '\(Excerpt.short(legend))'") }
            spec.legend = placement
        }
        return spec
    }

    /// The marker sets the panels use, each once, in order of first use.
    public var markerFiles: [String] {
        var out: [String] = []
        for figure in figures { for panel in figure.panels ?? [] { if let m = panel.markers?.source, !out.contains(m) { out.append(m) } } }
        return out
    }

    /// The relations to score: those named, those the panels need, the files.
    public func relationsToScore() throws -> [Relation] {
        var names = relations ?? BuiltinRelations.names
        if let control = ablation?.control, !names.contains(control) { names.append(control) }
        for figure in figures {
            for panel in figure.panels ?? [] where !names.contains(panel.relation) && BuiltinRelations.names.contains(panel.relation) {
                names.append(panel.relation)
            }
        }
        var out = try names.map(BuiltinRelations.load)
        out += try relationFiles.map { try Relation.load(file: $0) }
        try Relation.checkDistinctNames(out, file: file)
        return out
    }
}
