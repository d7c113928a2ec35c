import Analysis
import ArgumentParser
import Checkpoint
import Foundation
import Tokenizer

struct RelationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relations",
        abstract:
            "List the built-in relations; with --model, the k its family uses and how many pairs each keeps under its "
            + "vocabulary."
    )

    @Option(
        name: .long,
        help:
            ArgumentHelp(
                "A model directory or Hugging Face id (id@revision for a branch, tag or commit) whose vocabulary "
                    + "decides which pairs are single tokens.")
    )
    var model: String?

    @Flag(name: .long, help: "No progress output (this command writes none; accepted as by every command).")
    var quiet = false

    func run() throws {
        try reportingErrors {
            let loaded = try model.map {
                try Architectures.open(
                    modelDirectory: try ModelLocator.resolve($0, relativeTo: FileManager.default.currentDirectoryPath))
            }
            let defaults = loaded?.weights.defaultK ?? .standard
            if let loaded {
                print(
                    "\(loaded.weights.architecture): k = \(defaults.copying) for copying relations, \(defaults.other) "
                        + "otherwise (\(defaults.reason))\n"
                )
            }
            print(
                "name".padding(toLength: 26, withPad: " ", startingAt: 0) + "category     k  pairs"
                    + (loaded == nil ? "" : "  kept"))
            for relation in try BuiltinRelations.loadAll() {
                var line = relation.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                line += relation.category.padding(toLength: 12, withPad: " ", startingAt: 0)
                line += String(format: "%2d  %5d", relation.defaultK(defaults), relation.pairs.count)
                if let loaded {
                    let t = TokenizedRelation(
                        relation, tokenizer: loaded.tokenizer, defaults: defaults, rows: loaded.weights.shape.vocab)
                    line += String(format: "  %4d", t.pairsKept) + (t.skipped ? "  (skipped)" : "")
                }
                print(line)
            }
        }
    }
}
