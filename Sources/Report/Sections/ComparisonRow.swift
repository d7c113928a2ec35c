/// Whether two maps of the main figure pick the same heads.
struct ComparisonRow {
    let a: String
    let b: String
    let n: Int
    let shared: Int
    let jaccard: String
    let spearman: String
}
