/// "1 head", "2 heads": counts in sentences that a reader quotes.
public enum Plural {
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }
}
