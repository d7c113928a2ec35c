import Analysis
import Checkpoint
import Core
import ForwardPass
import Foundation
import LinearAlgebra
import Tokenizer

/// The paper's multi-token experiment: does a head's static score (read from
/// single-token pairs) predict what it does when the source is several
/// tokens, as most names and places are? For each relation, the pairs whose
/// source is more than one token and whose target is one, the prompt
/// "This is a document about <X>" (or another template), and at the source's
/// last token each head's output `z·W_O[h]·W_U` ranked over the vocabulary as
/// in the first experiment: with context (the run's own `z`) and without (its
/// attention there forced onto that token: its value vector). Pearson
/// correlations of these dynamic scores with the static ones, over every head.
public enum MultiTokenScores {
    public static let paperTemplate = "This is a document about <X>"

    public struct RelationResult: Sendable {
        public let name: String
        public let k: Int
        public let pairsTotal: Int
        /// Pairs with a source of several tokens and a target of one.
        public let pairsMultiToken: Int
        public let skipReason: String?
        /// The dynamic scores and correlations; nil when skipped.
        public let scores: DynamicScores.RelationResult?
    }

    /// The pairs whose source (after a space, as in a prompt) is several
    /// tokens and whose target is one token the model has a row for.
    public static func pairs(
        _ relation: Relation, tokenizer: any Tokenizer, rows: Int
    ) -> [(pair: Relation.Pair, target: Int)] {
        relation.pairs.compactMap { pair in
            guard tokenizer.wordToken(pair.source) == nil, tokenizer.encode(" " + pair.source).count > 1,
                let target = tokenizer.wordToken(pair.target), target < rows
            else { return nil }
            return (pair, target)
        }
    }

    /// - Parameters:
    ///   - statics: the relation's static scores (skipped: no correlation, the relation is skipped).
    ///   - k: the static scores' k.
    public static func run(
        relation: Relation, k: Int, statics: RelationScores, model: TransformerWeights, decoder: ModelWeights,
        tokenizer: any Tokenizer, template: String = paperTemplate,
        minimumPairs: Int = TokenizedRelation.defaultMinimumPairs, batchSize: Int = 256,
        log: (String) -> Void = { _ in }
    ) throws -> RelationResult {
        let shape = model.shape
        let pairs = self.pairs(relation, tokenizer: tokenizer, rows: shape.vocab)
        func skipped(_ reason: String) -> RelationResult {
            RelationResult(
                name: relation.name, k: k, pairsTotal: relation.pairs.count, pairsMultiToken: pairs.count,
                skipReason: reason, scores: nil)
        }
        guard pairs.count >= minimumPairs else {
            return skipped(
                "only \(pairs.count) of \(relation.pairs.count) pairs have a source of several tokens and a target "
                    + "of one for this vocabulary (at least \(minimumPairs) needed)")
        }
        if let reason = statics.skipReason { return skipped("no static scores to compare with: \(reason)") }

        // Each prompt, the position of the source's last token, grouped by (length, that position).
        let prefix = String(template[..<template.range(of: "<X>")!.lowerBound])
        let before = tokenizer.modelInput(String(prefix.reversed().drop { $0 == " " }.reversed()))
        var groups: [[Int]: [Int]] = [:]
        var prompts: [[Int]] = []
        for (i, (pair, _)) in pairs.enumerated() {
            let ids = tokenizer.modelInput(template.replacingOccurrences(of: "<X>", with: pair.source))
            let head = tokenizer.modelInput(prefix + pair.source)
            prompts.append(ids)
            // The source must stand as its own tokens: after the words before it, ending where it ends.
            guard ids.starts(with: head), head.starts(with: before), head.count - before.count >= 2 else { continue }
            groups[[ids.count, head.count - 1], default: []].append(i)
        }
        let forward = ForwardPass(weights: decoder)
        let clock = ContinuousClock()
        let started = clock.now
        var z = [HeadIndex: Matrix]()
        var v = [HeadIndex: Matrix]()
        var targets: [Int] = []
        for key in groups.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let members = groups[key]!
            let (gz, gv) = try DynamicScores.record(
                members.map { prompts[$0] }, query: key[1], source: key[1], forward: forward, batchSize: batchSize)
            for (index, m) in gz { z[index] = z[index].map { DynamicScores.append($0, m) } ?? m }
            for (index, m) in gv { v[index] = v[index].map { DynamicScores.append($0, m) } ?? m }
            targets += members.map { pairs[$0].target }
        }
        guard !targets.isEmpty else {
            throw ExperimentError.noPrompt(template: template, relation: relation.name)
        }
        let counts = try DynamicScores.count(model: model, segments: [(z, targets), (v, targets)], k: k)
        log(
            String(
                format: "  %@, '%@': %d prompts (%d dropped), %d lengths; run and ranked in %.1f s", relation.name,
                template, targets.count, pairs.count - targets.count, groups.count, (clock.now - started).seconds))
        let staticScores = Array(statics.scores.joined())
        let staticSuppression = Array(statics.suppression.joined())
        func correlation(_ values: [[Double]], _ statics: [Double]) -> Correlation {
            Correlation.pearson(statics, Array(values.joined()))
        }
        let result = DynamicScores.TemplateResult(
            template: template, dropped: pairs.count - targets.count, withContext: counts[0],
            withoutContext: counts[1])
        return RelationResult(
            name: relation.name, k: k, pairsTotal: relation.pairs.count, pairsMultiToken: pairs.count,
            skipReason: nil,
            scores: DynamicScores.RelationResult(
                name: relation.name, k: k, pairsKept: pairs.count, templates: [result],
                withContext: (
                    correlation(counts[0].scores, staticScores), correlation(counts[0].suppression, staticSuppression)
                ),
                withoutContext: (
                    correlation(counts[1].scores, staticScores), correlation(counts[1].suppression, staticSuppression)
                )))
    }
}

/// `multitoken.json` (`headmaps.multitoken.v1`): per relation the pairs kept
/// (a source of several tokens, a target of one), the dynamic scores with and
/// without context at the source's last token, and their correlations with
/// the static scores; skipped relations with their reason. Keys as in
/// `dynamic.json`, each layer one line.
public enum MultiTokenDocument {
    public static let schema = "headmaps.multitoken.v1"

    public static func encode(model: String, template: String, relations: [MultiTokenScores.RelationResult]) -> String {
        let q = JSONString.quoted
        var out = "{\n  \"schema\": \(q(schema)),\n  \"model\": \(q(model)),\n  \"template\": \(q(template)),\n"
        out += "  \"relations\": ["
        for (i, r) in relations.enumerated() {
            out += (i == 0 ? "\n" : ",\n") + "    {\n      \"name\": \(q(r.name)),\n      \"k\": \(r.k),\n"
            out += "      \"pairs_total\": \(r.pairsTotal),\n      \"pairs_multitoken\": \(r.pairsMultiToken),\n"
            guard let s = r.scores, let t = s.templates.first else {
                out += "      \"skipped\": true,\n      \"skip_reason\": \(q(r.skipReason ?? "skipped"))\n    }"
                continue
            }
            out += "      \"skipped\": false,\n      \"prompts\": \(t.withContext.prompts),\n"
            out += "      \"dropped\": \(t.dropped),\n"
            out += DynamicDocument.correlations(s, indent: "      ") + ",\n"
            out += DynamicDocument.counts(t, indent: "      ") + "\n    }"
        }
        return out + (relations.isEmpty ? "]\n}\n" : "\n  ]\n}\n")
    }

    /// One line per relation for a person watching.
    public static func summary(_ r: MultiTokenScores.RelationResult) -> String {
        guard let s = r.scores else { return "\(r.name): skipped (\(r.skipReason ?? ""))" }
        return DynamicDocument.summary(s) + " over \(s.templates[0].withContext.prompts) multi-token prompts"
    }
}
