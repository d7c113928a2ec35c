import ArgumentParser
import Core
import Foundation
import LinearAlgebra

@main
struct HeadMaps: ParsableCommand {
    static func main() {
        Interruption.installHandlers()
        BLAS.useSingleThread()
        // Swift would replace invalid UTF-8 in an argument with U+FFFD: a prompt
        // or a path silently changed. Such an argument is an error instead.
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i], String(validatingCString: raw) == nil else { continue }
            let shown = String(
                decoding: UnsafeBufferPointer(
                    start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self),
                    count: strlen(raw)), as: UTF8.self)
            let message =
                "error: argument \(i) is not valid UTF-8 ('\(Excerpt.short(shown))', U+FFFD where a byte is invalid)"
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // A bad option or value is bad input like any other: exit 2 with
            // the parser's message (ArgumentParser's own code is EX_USAGE, 64).
            if exitCode(for: error).rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "headmaps",
        abstract:
            "What every attention head of a language model does, read from its weights (GPT-2, Pythia, Phi, Phi-3, "
            + "Llama, Mistral, Qwen2, Qwen3, Gemma 2, Gemma 3, OLMo 2; safetensors or GGUF).",
        discussion: """
            Scores every head for relations such as name copying or country → capital with the \
            MAPS method (Elhelo & Geva, ACL 2025): the fraction of a relation's pairs whose target \
            is among the head's top-k logits when its OV circuit is applied to the source token.

            Start with `headmaps report` (no argument): the built-in demo, written to reports/default/. \
            `headmaps forward` and `headmaps dynamic` run the model to test the maps.
            """,
        version: HeadMapsVersion.string,
        subcommands: [
            ReportCommand.self, ScoresCommand.self, HeadCommand.self, ForwardCommand.self, DynamicCommand.self,
            MultiTokenCommand.self,
            AblateCommand.self, RenderCommand.self, CompareCommand.self, RelationsCommand.self, MakeFixtureCommand.self,
            SweepCommand.self,
        ])
}
