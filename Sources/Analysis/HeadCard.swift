import Checkpoint
import Core
import Foundation
import LinearAlgebra
import Tokenizer

/// Everything HeadMaps can say about one head: its score and rank for every
/// relation, its salient operations, and for chosen relations every kept
/// pair with hit or miss and the target's rank.
public struct HeadCard: Sendable {
    public struct RelationLine: Sendable {
        public let name: String
        public let k: Int
        public let skipped: Bool
        public let score: Double
        public let suppression: Double
        /// 1 = best of all heads; heads that tie share the best rank.
        public let rank: Int
        /// The worst rank of its tie group (`rank` when no other head has its score).
        public let lastRank: Int
        public let of: Int
        /// Only for the relations asked for in detail.
        public let pairs: [Pair]?
    }

    public struct Pair: Sendable {
        public let source: String
        public let target: String
        /// How many other tokens have a logit at least the target's, within
        /// the scores' tie margin (0 = top): a hit exactly when below k.
        public let targetRank: Int
        public let hit: Bool
        /// The head's top predictions for this source, best first.
        public let top: [Int]
    }

    public let layer: Int
    public let head: Int
    public let relations: [RelationLine]
    public let salient: SalientOperations
    /// What the head reads of a source for its scores and pairs, and for its salient operations.
    public let scoreRule: SourceRule
    public let salientRule: SourceRule

    /// - Parameters:
    ///   - detailed: names of the relations whose pairs are listed.
    ///   - salientRule: sources for salient operations; by default the scores' rule.
    ///   - sources: the vocabulary's sources when already computed (a report's
    ///     cards share one), under `salientRule`.
    ///   - salient: the head's salient operations when already computed (a
    ///     whole layer's come from one product, `SalientOperations.layer`).
    public init(
        analysis: ModelAnalysis, layer: Int, head: Int, detailed: Set<String>,
        salientCount: Int = SalientOperations.defaultCount, mappings: Int = SalientOperations.defaultMappings,
        salientRule: SourceRule? = nil, sources shared: VocabularySources? = nil,
        salient computed: SalientOperations? = nil
    ) throws {
        let model = analysis.model
        scoreRule = analysis.request.sourceRule
        let salientRule = salientRule ?? analysis.request.sourceRule
        self.salientRule = salientRule
        self.layer = layer
        self.head = head
        // Scanned once for every relation whose pairs are listed.
        let largestUnembeddingNorm =
            detailed.isEmpty ? 0 : model.unembedding.withMatrix { LogitBound.largestRowNorm($0) }
        relations = try zip(analysis.document.relations, analysis.tokenized).map { scores, tokenized in
            guard !scores.skipped else {
                return RelationLine(
                    name: scores.name, k: scores.k, skipped: true, score: 0, suppression: 0, rank: 0, lastRank: 0,
                    of: 0, pairs: nil)
            }
            let mine = scores.scores[layer][head]
            let all = scores.scores.joined()
            var pairs: [Pair]?
            if detailed.contains(scores.name) {
                let ov = try model.heads(ofLayer: layer)[head]
                let x = try SourceRepresentations(
                    model: model, tokens: tokenized.sourceIds, rule: analysis.request.sourceRule
                ).forLayer(layer)
                let moved = Products.multiply(Products.multiply(x, ov.valueWeights), ov.outputWeights)
                let vocab = model.shape.vocab
                let d = model.shape.dModel
                let logits = model.logits(of: moved)
                let exact = ExactSources(model: model, rule: analysis.request.sourceRule).rows(
                    tokenized.sourceIds, layer: layer)
                let out = ExactValues.headOutputs(exact, rows: x.rows, ov: ov)
                pairs = (0..<x.rows).map { i in
                    let row = { (j: Int) in logits[i * vocab + j] }
                    let exactOut = out[(i * d)..<((i + 1) * d)]
                    // The scores' rule: logits within the row's tie margin count against the target.
                    let margin = ScoringSettings.tieMargin(
                        row: i, of: moved, largestUnembeddingNorm: largestUnembeddingNorm)
                    let target = tokenized.targetIds[i]
                    let t = row(target)
                    let rank = (0..<vocab).filter { $0 != target && row($0) >= t - margin }.count
                    let top = ExactValues.topLogits(row: row, tokens: vocab, n: 3, out: exactOut, model: model).map(
                        \.id)
                    return Pair(
                        source: tokenized.keptPairs[i].source, target: tokenized.keptPairs[i].target, targetRank: rank,
                        hit: rank < tokenized.k, top: top)
                }
            }
            return RelationLine(
                name: scores.name, k: scores.k, skipped: false, score: mine,
                suppression: scores.suppression[layer][head],
                rank: 1 + all.filter { $0 > mine }.count, lastRank: all.filter { $0 >= mine }.count, of: all.count,
                pairs: pairs)
        }
        if let computed {
            precondition(computed.layer == layer && computed.head == head, "salient operations of another head")
            salient = computed
            return
        }
        precondition(shared.map { $0.rule == salientRule } ?? true, "shared sources under another rule")
        let sources = try shared ?? VocabularySources(model: model, layers: [layer], rule: salientRule)
        salient = try SalientOperations(
            model: model, layer: layer, head: head, sources: sources, count: salientCount, mappings: mappings,
            tokens: analysis.loaded.tokenizer.count)
    }

    /// `L.H`, `L9H6`, `L9.H6` (any case), as people write heads.
    public static func parseHead(_ text: String) -> (layer: Int, head: Int)? {
        let t = text.uppercased().replacingOccurrences(of: " ", with: "")
        let digits = t.split(whereSeparator: { !$0.isNumber }).map(String.init)
        let shape = t.filter { !$0.isNumber }
        guard digits.count == 2, [".", "LH", "L.H"].contains(shape), let l = Int(digits[0]), let h = Int(digits[1])
        else { return nil }
        return (l, h)
    }
}

extension HeadCard {
    /// The card's fields as JSON object members (no braces), one per line
    /// after `indent`: `layer`, `head`, `source_rule`, `salient`, `relations`
    /// — what `headmaps.head.v1` and a report's `heads.json` both hold.
    public func jsonFields(decode: (Int) -> String, indent: String) -> String {
        let q = JSONString.quoted
        let i = indent
        var out = "\(i)\"layer\": \(layer),\n\(i)\"head\": \(head),\n"
        out += "\(i)\"source_rule\": \(q(salientRule.name(layer: layer))),\n\(i)\"salient\": [\n"
        out += salient.operations.map { op in
            "\(i)  {\"token_id\": \(op.tokenID), \"token\": \(q(decode(op.tokenID))), "
                + "\"amplification\": \(op.amplification), \"mappings\": ["
                + op.mappings.map {
                    "{\"token_id\": \($0.tokenID), \"token\": \(q(decode($0.tokenID))), \"logit\": \($0.logit)}"
                }.joined(separator: ", ") + "]}"
        }.joined(separator: ",\n")
        out += "\n\(i)],\n\(i)\"relations\": [\n"
        out += relations.filter { !$0.skipped }.map { r in
            var line =
                "\(i)  {\"name\": \(q(r.name)), \"k\": \(r.k), \"score\": \(r.score), "
                + "\"suppression\": \(r.suppression), \"rank\": \(r.rank)"
            if let pairs = r.pairs {
                line +=
                    ", \"pairs\": ["
                    + pairs.map {
                        "{\"source\": \(q($0.source)), \"target\": \(q($0.target)), \"hit\": \($0.hit), "
                            + "\"target_rank\": \($0.targetRank)}"
                    }.joined(separator: ", ") + "]"
            }
            return line + "}"
        }.joined(separator: ",\n")
        return out + "\n\(i)]"
    }

    /// `headmaps.heads.v1`: several cards, each with why it was chosen (a
    /// report's cards) or no reason (`headmaps head all`).
    public static func headsDocument(
        _ cards: [(card: HeadCard, reasons: [String])], model: String, decode: (Int) -> String
    ) -> String {
        headsDocumentStart(model: model)
            + cards.map { headsDocumentEntry($0.card, reasons: $0.reasons, decode: decode) }.joined(separator: ",\n")
            + headsDocumentEnd
    }

    /// The document in pieces, to write one card at a time: the start, each
    /// entry (joined by `",\n"`), the end.
    public static func headsDocumentStart(model: String) -> String {
        "{\n  \"schema\": \"headmaps.heads.v1\",\n  \"model\": \(JSONString.quoted(model)),\n  \"heads\": [\n"
    }

    public static func headsDocumentEntry(_ card: HeadCard, reasons: [String], decode: (Int) -> String) -> String {
        "    {\n      \"reasons\": [\(reasons.map { JSONString.quoted($0) }.joined(separator: ", "))],\n"
            + card.jsonFields(decode: decode, indent: "      ") + "\n    }"
    }

    public static let headsDocumentEnd = "\n  ]\n}\n"
}
