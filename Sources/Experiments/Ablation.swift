import Analysis
import Checkpoint
import Core
import ForwardPass
import Foundation
import LinearAlgebra
import Tokenizer

/// The paper's second experiment: accuracy on a relation's task (the argmax
/// next token is the target) as the heads with the highest static scores are
/// ablated one more at a time — their output at the last position set to 0 —
/// against the same number of random heads, and against the relation's heads
/// ablated on another relation's task.
public struct Ablation: Sendable {
    /// The paper's task template per relation (`<X>` is the source word).
    public static let paperTemplates: [String: String] = [
        "country_to_capital": "The capital of <X> is",
        "country_to_language": "The official language of <X> is",
        "product_by_company": "Nesquik is made by Nestlé; Mustang is made by Ford; <X> is made by",
        "object_to_superclass": "A <X> is a kind of",
        "adjective_to_comparative": " lovely-> lovelier; edgy-> edgier; <X>->",
        "verb_to_past_tense": " hike->hiked; purchase-> purchased; <X>->",
        "word_to_first_letter": " word-> w, o, r, d; cat-> c, a, t; <X>->",
        "word_to_last_letter": " word-> d, r, o, w; cat-> t, a, c; <X>->",
        "year_to_following": " 1300-> 1301; 1000-> 1001; <X>->",
        "copying": " walk-> walk; cat-> cat; water-> water; <X>->",
        "name_copying": " John-> John; Donna-> Donna; <X>->",
        "noun_to_pronoun": " mother-> she; father-> he; tribe-> they; actress-> she; apartment-> it; <X>->",
        "english_to_spanish": " apartment-> departamento; computer-> computadora; tribe-> tribu; <X>->",
    ]

    /// A relation's task: its prompts grouped by length, and their targets.
    public struct Task: Sendable {
        public let relation: String
        public let template: String
        let groups: [(prompts: [[Int]], targets: [Int])]
        public var prompts: Int { groups.reduce(0) { $0 + $1.prompts.count } }

        public init(relation: TokenizedRelation, template: String, tokenizer: any Tokenizer) {
            self.relation = relation.relation.name
            self.template = template
            var byLength: [Int: (prompts: [[Int]], targets: [Int])] = [:]
            for (i, pair) in relation.keptPairs.enumerated() {
                let ids = tokenizer.modelInput(template.replacingOccurrences(of: "<X>", with: pair.source))
                guard ids.count >= 2, ids.allSatisfy({ $0 >= 0 }) else { continue }
                byLength[ids.count, default: ([], [])].prompts.append(ids)
                byLength[ids.count, default: ([], [])].targets.append(relation.targetIds[i])
            }
            groups = byLength.keys.sorted().map { byLength[$0]! }
        }
    }

    public struct Curve: Sendable, Equatable {
        /// Accuracy after ablating the first `i` heads, `i = 0 … heads.count`.
        public let accuracy: [Double]
        public let heads: [HeadIndex]
    }

    public let relation: String
    public let template: String
    public let prompts: Int
    public let top: Curve
    public let random: [Curve]
    /// The relation's heads ablated on another relation's task.
    public let control: (relation: String, template: String, curve: Curve)?

    /// - Parameters:
    ///   - maximumHeads: at most this many heads (the paper: 150), and only heads with a positive score.
    public static func run(
        relation: TokenizedRelation, statics: RelationScores, decoder: ModelWeights, tokenizer: any Tokenizer,
        template: String, maximumHeads: Int = 150, randomDraws: Int = 5, seed: UInt64 = 0,
        control: (TokenizedRelation, String)? = nil, log: (String) -> Void = { _ in }
    ) throws -> Ablation {
        let forward = ForwardPass(weights: decoder)
        let shape = decoder.shape
        let task = Task(relation: relation, template: template, tokenizer: tokenizer)
        guard task.prompts > 0 else {
            throw ExperimentError.noPrompt(template: template, relation: relation.relation.name)
        }
        let ranked = statics.scores.enumerated().flatMap { l, row in
            row.enumerated().map { h, v in (HeadIndex(layer: l, head: h), v) }
        }
        .filter { $0.1 > 0 }
        .sorted { ($1.1, $0.0) < ($0.1, $1.0) }
        .prefix(maximumHeads).map(\.0)
        log("ablation: \(relation.relation.name), \(task.prompts) prompts, \(ranked.count) heads")
        let caches = try task.groups.map { try forward.prefix($0.prompts) }
        let top = try curve(forward: forward, task: task, caches: caches, heads: Array(ranked))
        var rng = SplitMix64(seed: seed)
        let others = (0..<shape.layers).flatMap { l in (0..<shape.heads).map { HeadIndex(layer: l, head: $0) } }.filter
        { !ranked.contains($0) }
        var random: [Curve] = []
        for draw in 0..<randomDraws {
            var pool = others
            var chosen: [HeadIndex] = []
            while chosen.count < min(ranked.count, others.count) {
                let i = Int(rng.next() % UInt64(pool.count))
                chosen.append(pool.remove(at: i))
            }
            random.append(try curve(forward: forward, task: task, caches: caches, heads: chosen))
            log("  random draw \(draw + 1) of \(randomDraws)")
        }
        var controlResult: (String, String, Curve)?
        if let (other, otherTemplate) = control {
            let otherTask = Task(relation: other, template: otherTemplate, tokenizer: tokenizer)
            let otherCaches = try otherTask.groups.map { try forward.prefix($0.prompts) }
            controlResult = (
                other.relation.name, otherTemplate,
                try curve(forward: forward, task: otherTask, caches: otherCaches, heads: Array(ranked))
            )
        }
        return Ablation(
            relation: relation.relation.name, template: template, prompts: task.prompts, top: top, random: random,
            control: controlResult)
    }

    /// Accuracy after ablating each prefix of `heads`, from the prompts'
    /// caches; several steps share one pass (up to 4096 rows), each step
    /// computed only from the layer of the head it adds.
    static func curve(forward: ForwardPass, task: Task, caches: [PrefixCache], heads: [HeadIndex]) throws -> Curve {
        var correct = [Int](repeating: 0, count: heads.count + 1)
        for (group, cache) in zip(task.groups, caches) {
            let stepsPerPass = max(1, 4096 / max(cache.prompts, 1))
            for firstStep in stride(from: 0, through: heads.count, by: stepsPerPass) {
                let steps = Array(firstStep...min(heads.count, firstStep + stepsPerPass - 1))
                let best = try forward.lastArgmax(cache, zeroedSets: steps.map { Set(heads.prefix($0)) })
                for (s, step) in steps.enumerated() {
                    for (b, target) in group.targets.enumerated() where best[s * cache.prompts + b] == target {
                        correct[step] += 1
                    }
                }
            }
        }
        return Curve(accuracy: correct.map { Double($0) / Double(task.prompts) }, heads: heads)
    }
}
