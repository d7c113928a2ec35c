import Analysis
import Foundation

/// One section of a report. A part reads its own keys of the spec (its
/// `ReportPartKind`), computes what it shows from the shared analysis (only
/// what the spec asks for), and supplies its rows, its output files and its
/// entry in the table of contents; its rows are rendered by its two partials,
/// `templates/markdown/<name>.mustache` and `templates/html/<name>.mustache`.
///
/// A report runs in two steps so that a section may show what a later part
/// made (the figures section lists the experiments' figures): every part's
/// `compute` in order, then every part's `section` with what it computed.
public protocol ReportPart: Sendable {
    /// What `compute` hands to `section`.
    associatedtype Computed = Void

    /// The part's name: its partials are `markdown/<name>` and `html/<name>`.
    var name: String { get }
    /// Relations the part needs scored beyond the spec's `relations:`.
    var relationsNeeded: [String] { get }
    /// Files the part reads (a marker set), recorded in the manifest and never replaced.
    var inputs: [ReportInput] { get }
    /// Computes what the section shows; may add figures and files to `context`.
    func compute(_ context: inout ReportContext) throws -> Computed
    /// The rows its partials render (nil: the part shows nothing this time),
    /// once every part has computed.
    func section(_ context: ReportContext, _ computed: Computed) -> ReportSection?
}

extension ReportPart {
    public var relationsNeeded: [String] { [] }
    public var inputs: [ReportInput] { [] }

    /// Computes, and returns the section to build once every part has computed.
    func run(_ context: inout ReportContext) throws -> (ReportContext) -> ReportSection? {
        let computed = try compute(&context)
        return { section($0, computed) }
    }
}

extension ReportPart where Computed == Void {
    public func compute(_ context: inout ReportContext) throws {}
}

/// How a part is made from a spec.
public struct ReportPartKind: Sendable {
    /// The top-level spec keys the part reads.
    public let keys: [String]
    /// The part as `spec` asks for it (`yaml` is the whole spec; `spec` holds
    /// the shared keys and the parts made before this one); nil to leave it out.
    public let make: @Sendable (_ yaml: YAMLMapping, _ spec: ReportSpec) throws -> (any ReportPart)?

    public init(
        keys: [String], make: @escaping @Sendable (_ yaml: YAMLMapping, _ spec: ReportSpec) throws -> (any ReportPart)?
    ) {
        self.keys = keys
        self.make = make
    }

    /// A part that reads no keys and is always there.
    public static func always(_ part: any ReportPart) -> ReportPartKind { ReportPartKind(keys: []) { _, _ in part } }
}

/// A file a part reads, with its role in the manifest ("markers").
public struct ReportInput: Sendable, Equatable {
    public let path: String
    public let role: String
    /// How the report names it when it refuses to replace it.
    public let description: String

    public init(path: String, role: String, description: String) {
        self.path = path
        self.role = role
        self.description = description
    }
}

/// What a section shows: the rows its partials render, and its entry in the
/// table of contents (its heading's anchor and title) when it has one.
public struct ReportSection {
    public let rows: Any
    public let contents: (anchor: String, title: String)?

    public init(rows: Any, contents: (anchor: String, title: String)?) {
        self.rows = rows
        self.contents = contents
    }
}

/// The report's parts, in the order the report shows them.
public enum ReportParts {
    public static let standard: [ReportPartKind] = [
        FiguresPart.kind, ObservationsPart.kind, OverlapPart.kind, ComparisonsPart.kind, RelationsPart.kind,
        StudyPart.kind, HeadCardsPart.kind, ExperimentsPart.kind, MultiTokenPart.kind, SkippedPart.kind,
        TablesPart.kind,
        ReproducePart.kind, ProvenancePart.kind,
    ]
}
