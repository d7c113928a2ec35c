import Analysis
import Checkpoint
import ArgumentParser
import Foundation
import Tokenizer

struct RelationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relations",
        abstract: "List the built-in relations; with --model, how many pairs each keeps under its vocabulary.")

    @Option(name: .long, help: "A model directory whose vocabulary decides which pairs are single tokens.")
    var model: String?

    func run() throws {
        try reportingErrors {
            let tokenizer = try model.map { try Architectures.open(modelDirectory: $0).tokenizer }
            print("name".padding(toLength: 26, withPad: " ", startingAt: 0) + "category     k  pairs" + (tokenizer == nil ? "" : "  kept"))
            for relation in try BuiltinRelations.loadAll() {
                var line = relation.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                line += relation.category.padding(toLength: 12, withPad: " ", startingAt: 0)
                line += String(format: "%2d  %5d", relation.defaultK, relation.pairs.count)
                if let tokenizer {
                    let t = TokenizedRelation(relation, tokenizer: tokenizer)
                    line += String(format: "  %4d", t.pairsKept) + (t.skipped ? "  (skipped)" : "")
                }
                print(line)
            }
        }
    }
}
