import Core

/// Where the report came from: the model and its files by SHA-256, the
/// relations, the settings and the software (the manifest has every input
/// and output).
public struct ProvenancePart: ReportPart {
    public let name = "provenance"
    public static let kind = ReportPartKind.always(ProvenancePart())

    struct Rows { let provenance: [ProvenanceRow] }

    public func section(_ context: ReportContext, _: Void) -> ReportSection? {
        ReportSection(rows: Rows(provenance: ProvenancePart.rows(context)), contents: ("provenance", "Provenance"))
    }

    static func rows(_ context: ReportContext) -> [ProvenanceRow] {
        let spec = context.spec
        let document = context.document
        let shape = document.shape
        let manifest = context.manifest
        let defaults = context.analysis.model.defaultK
        let scoredCount = document.relations.filter { !$0.skipped }.count
        let shownPath = context.display(context.modelPath)
        let reference = context.modelReference
        var rows = [
            ProvenanceRow(key: "Model", value: reference == shownPath ? reference : "\(reference) → \(shownPath)"),
            ProvenanceRow(
                key: "Architecture",
                value: "\(context.analysis.model.architecture), \(Plural.count(shape.layers, "layer")) × "
                    + "\(Plural.count(shape.heads, "head")), d_model \(shape.dModel), vocabulary \(shape.vocab)"),
        ]
        for entry in manifest.inputs
        where entry.role == "weights" || entry.role == "specification" || entry.role == "markers" {
            rows.append(
                ProvenanceRow(
                    key: entry.role.prefix(1).uppercased() + entry.role.dropFirst(),
                    value:
                        "\(entry.path), \(ByteCountFormatting.string(entry.bytes)), SHA-256 \(entry.sha256.prefix(16))…"
                ))
        }
        let k =
            spec.k.map(String.init)
            ?? "\(defaults.copying) for copying, \(defaults.other) otherwise (\(defaults.rule) rule)"
        rows += [
            ProvenanceRow(
                key: "Relations",
                value:
                    "\(document.relations.count) (\(scoredCount) scored, \(document.relations.count - scoredCount) "
                    + "skipped)"
            ),
            ProvenanceRow(
                key: "Settings",
                value: "k = \(k); sources \(spec.sourceRule.rawValue); at least \(spec.minimumPairs) single-token pairs"
            ),
            // Versions only (environment.json has this machine's facts).
            ProvenanceRow(
                key: "Software",
                value: manifest.software
                    .map { name, version in
                        // OpenBLAS's version string leads with the library's name.
                        let shown =
                            name == "openblas" ? String(version.split(separator: " ").dropFirst().first ?? "") : version
                        return "\(name) \(shown)"
                    }.joined(separator: "; ")),
            ProvenanceRow(key: "Manifest", value: "manifest.json lists every input and output with its SHA-256"),
        ]
        return rows
    }
}
