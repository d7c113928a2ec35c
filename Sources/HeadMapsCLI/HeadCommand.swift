import Analysis
import ArgumentParser
import Core
import Foundation
import LinearAlgebra
import Report

struct HeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract:
            "What one head does: its score and rank for every relation, its salient operations, and pair by pair for "
            + "chosen relations.",
        discussion: """
            HEAD is L.H (9.6), L9H6 or L9.H6. Salient operations: every vocabulary token as a source (the method's \
            layer-0 / MLP0 rule), the tokens whose norm the head's OV circuit amplifies most, ‖x·W_V·W_O‖ / ‖x‖, and \
            the top logits each is mapped to. With --relation or --relation-file, every kept pair of those relations \
            is listed with hit or miss and the target's rank (other tokens with a logit at least the target's; a hit \
            when below k). --json writes headmaps.head.v1.

            HEAD all: the salient operations of every head, one line per operation led by its head (for grep and \
            diff), and with --json every head's card as headmaps.heads.v1 (the form of a report's heads.json). Pairs \
            are listed for one head only, so all takes no --relation or --relation-file.
            """)

    @Argument(help: "The head: L.H, L9H6 or L9.H6; all for every head.")
    var head: String

    @OptionGroup var analysis: AnalysisOptions

    @Option(name: .long, help: "How many salient tokens to list.")
    var salient: Int = SalientOperations.defaultCount

    @Option(name: .long, help: "How many mapped tokens per salient token.")
    var mappings: Int = SalientOperations.defaultMappings

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "Sources for salient operations (default: the scores' --sources). mlp0-all-layers is what the paper's "
                    + "notebook did.")
    )
    var salientSources: SourceRule?

    @Option(name: .long, help: "Also write the card as JSON (headmaps.head.v1) to this file.")
    var json: String?

    func run() throws {
        try reportingErrors {
            guard (1...1000).contains(salient), (1...100).contains(mappings) else {
                throw CLIError("--salient must be 1–1000 and --mappings 1–100")
            }
            try analysis.checkOutputs(json.map { [.init($0, option: "--json")] } ?? [])
            if head.lowercased() == "all" { return try everyHead() }
            guard let (layer, index) = HeadCard.parseHead(head) else {
                throw CLIError("'\(Excerpt.short(head))' is not a head; write L.H (9.6), L9H6 or L9.H6, or all")
            }
            let progress = Progress(quiet: analysis.quiet)
            // Every relation is scored (for the ranks); the ones named are listed pair by pair.
            var request = try analysis.request()
            let detailed = Set(request.relations.map(\.name))
            let named = !analysis.relation.isEmpty || !analysis.relationFile.isEmpty
            if named {
                let others = try BuiltinRelations.loadAll().filter { !detailed.contains($0.name) }
                request.relations += others
            }
            let result = try ModelAnalysis(request, log: progress.log)
            let shape = result.model.shape
            guard layer < shape.layers, index < shape.heads else {
                throw CLIError(
                    "head \(layer).\(index) is outside the model's \(shape.layers) layers × \(shape.heads) heads")
            }
            // The card's products over the whole vocabulary are single large ones:
            // they may use every core (scoring, which needs one BLAS thread, is done).
            BLAS.setThreads(ProcessInfo.processInfo.activeProcessorCount)
            defer { BLAS.useSingleThread() }
            // Every vocabulary token's source: block 0's MLP over the whole
            // vocabulary, minutes on an 8B model, so it reports its progress.
            let rule = salientSources ?? result.request.sourceRule
            let sources = try VocabularySources(model: result.model, layers: [layer], rule: rule) { done, blocks in
                progress.update("salient operations: every vocabulary token as a source", done: done, of: blocks)
            }
            let card = try HeadCard(
                analysis: result, layer: layer, head: index, detailed: named ? detailed : [],
                salientCount: salient, mappings: mappings, salientRule: rule, sources: sources)
            let tokenizer = result.loaded.tokenizer
            print(HeadCardText.render(card, decode: { tokenizer.decode([$0]) }))
            if let json {
                let text = HeadCardText.json(card, model: result.document.source, decode: { tokenizer.decode([$0]) })
                try AtomicFile.write(Data(text.utf8), to: json)
                progress.log("wrote \(json)")
            }
        }
    }

    /// Every head's salient operations, a layer at a time: one product of the
    /// vocabulary's sources with the layer's `W_V`s, the heads on every core.
    private func everyHead() throws {
        guard analysis.relation.isEmpty, analysis.relationFile.isEmpty else {
            throw CLIError(
                "head all lists no pairs (they are per head): leave out --relation and --relation-file; every "
                    + "built-in relation is scored"
            )
        }
        let progress = Progress(quiet: analysis.quiet)
        let result = try ModelAnalysis(try analysis.request(), log: progress.log)
        let model = result.model
        let shape = model.shape
        let rule = salientSources ?? result.request.sourceRule
        progress.log(
            "salient operations of \(shape.layers * shape.heads) heads: every vocabulary token as a source "
                + "(\(rule.rawValue))"
        )
        let sources = try VocabularySources(model: model, rule: rule) { done, blocks in
            progress.update("every vocabulary token as a source", done: done, of: blocks)
        }
        let tokenizer = result.loaded.tokenizer
        let decode: (Int) -> String = { tokenizer.decode([$0]) }
        // A layer at a time: its lines printed, its cards written, then released.
        func emit(_ write: ((String) throws -> Void)?) throws {
            print(SalientOperationsText.catalogueHeader, terminator: "")
            try write?(HeadCard.headsDocumentStart(model: result.document.source))
            var first = true
            try SalientOperations.everyHead(
                model: model, sources: sources, count: salient, mappings: mappings, tokens: tokenizer.count,
                progress: { done, layers in progress.update("salient operations, layers", done: done, of: layers) }
            ) { layer in
                for operations in layer {
                    print(SalientOperationsText.lines(operations, decode: decode), terminator: "")
                    guard let write else { continue }
                    let card = try HeadCard(
                        analysis: result, layer: operations.layer, head: operations.head, detailed: [],
                        salientRule: rule,
                        salient: operations)
                    try write((first ? "" : ",\n") + HeadCard.headsDocumentEntry(card, reasons: [], decode: decode))
                    first = false
                }
            }
            try write?(HeadCard.headsDocumentEnd)
        }
        if let json {
            try AtomicFile.write(to: json) { handle in try emit { try handle.write(contentsOf: Data($0.utf8)) } }
            progress.log("wrote \(json)")
        } else {
            try emit(nil)
        }
    }
}

/// The card as text for a terminal and as `headmaps.head.v1` JSON.
enum HeadCardText {
    static func render(_ card: HeadCard, decode: (Int) -> String) -> String {
        func token(_ id: Int) -> String { SalientOperationsText.token(id, decode: decode) }
        var lines = ["head \(card.layer).\(card.head)", "", "relation                     k   score  supp.  rank"]
        for r in card.relations where !r.skipped {
            lines.append(
                r.name.padding(toLength: 27, withPad: " ", startingAt: 0)
                    + String(format: " %3d  %5.2f  %5.2f  ", r.k, r.score, r.suppression)
                    + (r.lastRank > r.rank ? "\(r.rank)–\(r.lastRank) of \(r.of) (tied)" : "\(r.rank) of \(r.of)"))
        }
        lines += ["", "salient operations (amplification: token → top mappings)"]
        lines += card.salient.operations.map { SalientOperationsText.line($0, decode: decode) }
        for r in card.relations {
            guard let pairs = r.pairs else { continue }
            lines += ["", "\(r.name): \(pairs.filter(\.hit).count) of \(pairs.count) pairs hit (k = \(r.k))"]
            for p in pairs {
                lines.append(
                    "  \(p.hit ? "hit " : "miss") \(p.source) → \(p.target)  target rank \(p.targetRank); top: "
                        + p.top.map(token).joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ card: HeadCard, model: String, decode: (Int) -> String) -> String {
        "{\n  \"schema\": \"headmaps.head.v1\",\n  \"model\": \(JSONString.quoted(model)),\n"
            + card.jsonFields(decode: decode, indent: "  ") + "\n}\n"
    }
}
