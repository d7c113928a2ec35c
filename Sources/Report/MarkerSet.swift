import Core
import Foundation
import Plot

/// Heads that an earlier circuit paper classified, as a data file:
///
/// ```yaml
/// title: "'Circuits Components Reused' classifications"
/// citation: "Merullo, Eickhoff & Pavlick, ICLR 2024"
/// approximate: true        # positions read off a figure, not a table
/// classes:
///   - label: Mover Heads
///     marker: x
///     heads: [14.1, 16.4, 18.6, 20.10, 22.14]   # layer.head
///   - label: Tested, not movers
///     marker: o
///     control: true        # drawn and listed, not counted as marked in statistics
///     heads: [3.3]
/// ```
public struct MarkerSet: Equatable, Sendable {
    public var title: String?
    public var citation: String
    public var approximate: Bool
    public var classes: [MarkerClass]
    public var source: String

    public init(title: String?, citation: String, approximate: Bool, classes: [MarkerClass], source: String) {
        self.title = title
        self.citation = citation
        self.approximate = approximate
        self.classes = classes
        self.source = source
    }

    public var allHeads: Set<HeadIndex> { Set(classes.flatMap(\.heads)) }
    /// The heads the statistics count as marked: every class but the controls.
    public var positiveHeads: Set<HeadIndex> { Set(classes.filter { !$0.isControl }.flatMap(\.heads)) }
    /// Who marked them, for sentences: the citation, else the marker set's title.
    public var attribution: String { !citation.isEmpty ? citation : title ?? "the marker set" }

    public static func load(file: String) throws -> MarkerSet {
        try parse(try YAMLMapping.load(file: file), file: file)
    }

    public static func parse(_ yaml: YAMLMapping, file: String) throws -> MarkerSet {
        try yaml.allowKeys(["title", "citation", "approximate", "classes"])
        guard let classes = try yaml.mappings("classes"), !classes.isEmpty else {
            throw yaml.error("classes", "is required: a list of {label, marker, heads}")
        }
        let parsed: [MarkerClass] = try classes.map { c in
            try c.allowKeys(["label", "marker", "heads", "control"])
            let label = try c.requiredString("label")
            let markerName = try c.string("marker") ?? "x"
            guard let style = MarkerStyle(rawValue: markerName) else {
                throw c.error(
                    "marker",
                    "must be one of \(MarkerStyle.allCases.map(\.rawValue).joined(separator: ", ")), not "
                        + "'\(Excerpt.short(markerName))'"
                )
            }
            guard let entries = try c.scalars("heads") else {
                throw c.error("heads", "is required: a list of layer.head")
            }
            let heads = try entries.map { entry -> HeadIndex in
                let parts = entry.text.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2, let l = Int(parts[0]), let h = Int(parts[1]), l >= 0, h >= 0 else {
                    throw SpecError(
                        file: file, line: entry.line, key: "heads",
                        message: "'\(Excerpt.short(entry.text))' is not layer.head (e.g. 9.6)")
                }
                return HeadIndex(layer: l, head: h)
            }
            return MarkerClass(label: label, style: style, heads: heads, isControl: try c.bool("control") ?? false)
        }
        return MarkerSet(
            title: try yaml.string("title"), citation: try yaml.string("citation") ?? "",
            approximate: try yaml.bool("approximate") ?? false, classes: parsed, source: file)
    }

    /// Every head must exist in a `layers × heads` model.
    public func validate(layers: Int, heads: Int) throws {
        for c in classes {
            for h in c.heads where h.layer >= layers || h.head >= heads {
                throw SpecError(
                    file: source, line: nil, key: "heads",
                    message:
                        "head \(h) of '\(c.label)' is outside the model's \(layers) layers × \(heads) heads (layers "
                        + "0…\(layers - 1), heads 0…\(heads - 1))"
                )
            }
        }
    }
}
