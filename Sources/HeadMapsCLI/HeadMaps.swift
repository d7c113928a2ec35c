import Core
import LinearAlgebra
import ArgumentParser

@main
struct HeadMaps: ParsableCommand {
    static func main() {
        Interruption.installHandlers()
        BLAS.useSingleThread()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "headmaps",
        abstract: "What every attention head of a language model does, read from its weights (GPT-2, Pythia, Phi, Llama, Mistral, Qwen2, Gemma 2).",
        discussion: """
        Scores every head for relations such as name copying or country → capital with the \
        MAPS method (Elhelo & Geva, ACL 2025): the fraction of a relation's pairs whose target \
        is among the head's top-k logits when its OV circuit is applied to the source token.

        Start with `headmaps report` (no argument): the built-in demo, written to reports/default/. \
        `headmaps forward` and `headmaps dynamic` run the model to test the maps.
        """,
        version: HeadMapsVersion.string,
        subcommands: [ReportCommand.self, ScoresCommand.self, HeadCommand.self, ForwardCommand.self, DynamicCommand.self, AblateCommand.self, RenderCommand.self, CompareCommand.self, RelationsCommand.self, MakeFixtureCommand.self])
}
