/// One line of the report's provenance table.
struct ProvenanceRow {
    let key: String
    let value: String
}
