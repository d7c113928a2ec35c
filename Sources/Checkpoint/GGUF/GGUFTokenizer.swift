import Core
import Tokenizer

/// The tokenizer a GGUF file carries in its metadata, as llama.cpp reads it.
///
/// `tokenizer.ggml.model = gpt2` is byte-level BPE: `tokenizer.ggml.tokens`
/// (ids by position), `tokenizer.ggml.merges` (`"a b"`, highest priority
/// first), `tokenizer.ggml.token_type` (control and user-defined tokens are
/// matched in the text before anything else, as Hugging Face's added tokens
/// are), `tokenizer.ggml.pre` naming llama.cpp's pre-tokenizer, and
/// `tokenizer.ggml.add_bos_token` with `bos_token_id`.
/// `tokenizer.ggml.model = llama` is SentencePiece with `tokenizer.ggml.scores`
/// (`ScoredSentencePiece`): user-defined tokens matched whole, as llama.cpp
/// does without special-token parsing, `add_space_prefix` and `add_bos_token`
/// defaulting to true.
public enum GGUFTokenizer {
    /// llama.cpp's pre-tokenizer names, grouped by the pattern they share.
    static let llama3 = ["llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "lfm2", "midm-2.0"]
    static let digitsThenGPT2 = ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"]
    static let gpt2 = [
        "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code",
        "roberta-bpe", "mpt", "olmo", "jais", "trillion", "granite-docling",
    ]
    static let qwen2 = ["qwen2", "qwen2.5", "qwen-2.5", "deepseek-r1-qwen", "stablelm2", "hunyuan"]
    public static var preTokenizers: [String] { ["default"] + llama3 + digitsThenGPT2 + gpt2 + qwen2 }

    static let llama3Pattern =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
        + "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    static let qwen2Pattern =
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
        + "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    static let defaultPatterns = [
        "[\\p{P}\\$\\+<=>\\^~\\|]+", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
        "\\p{N}+", "[0-9][0-9][0-9]",
    ]

    /// Token types llama.cpp treats as special: matched whole in the text.
    static let control: Int64 = 3, userDefined: Int64 = 4

    public static func load(_ file: GGUFFile) throws -> any Tokenizer {
        let meta = file.metadata
        func fail(_ key: String, _ problem: String) -> CheckpointError {
            .invalidConfig(file: file.path, key: key, problem: problem)
        }
        guard let model = meta["tokenizer.ggml.model"]?.string else {
            throw CheckpointError.missingKey(
                file: file.path, key: "tokenizer.ggml.model", expected: "the tokenizer's kind, a string")
        }
        guard model == "gpt2" || model == "llama" else {
            throw fail(
                "tokenizer.ggml.model",
                "tokenizer.ggml.model '\(Excerpt.short(model))' is not read (supported: gpt2, byte-level BPE; llama, "
                    + "SentencePiece)"
            )
        }
        guard let tokenValues = meta["tokenizer.ggml.tokens"]?.array else {
            throw CheckpointError.missingKey(
                file: file.path, key: "tokenizer.ggml.tokens", expected: "an array of token strings")
        }
        let tokens = try tokenValues.enumerated().map { i, value in
            guard let s = value.string else {
                throw fail("tokenizer.ggml.tokens", "token \(i) is \(value), not a string")
            }
            return s
        }
        let types = meta["tokenizer.ggml.token_type"]?.array?.map { $0.integer.map(Int64.init) ?? 1 } ?? []
        guard types.isEmpty || types.count == tokens.count else {
            throw fail("tokenizer.ggml.token_type", "has \(types.count) entries for \(tokens.count) tokens")
        }
        let addBOS = meta["tokenizer.ggml.add_bos_token"]?.bool ?? (model == "llama")
        var start: [Int] = []
        if addBOS {
            guard let bos = meta["tokenizer.ggml.bos_token_id"]?.integer, bos >= 0, bos < tokens.count else {
                throw fail(
                    "tokenizer.ggml.bos_token_id",
                    "add_bos_token is true but bos_token_id "
                        + "is \(meta["tokenizer.ggml.bos_token_id"].map { "\($0)" } ?? "missing"), not an id "
                        + "below \(tokens.count)"
                )
            }
            start = [bos]
        }
        if model == "llama" {
            guard let scoreValues = meta["tokenizer.ggml.scores"]?.array, scoreValues.count == tokens.count else {
                throw CheckpointError.missingKey(
                    file: file.path, key: "tokenizer.ggml.scores", expected: "one score per token (\(tokens.count))")
            }
            let scores = scoreValues.map { Float($0.number ?? 0) }
            var matchedWhole: [String: Int] = [:]
            for (id, token) in tokens.enumerated() where id < types.count && types[id] == userDefined && !token.isEmpty
            { matchedWhole[token] = id }
            return ScoredSentencePiece(
                pieces: tokens, scores: scores, addedTokens: matchedWhole,
                addSpacePrefix: meta["tokenizer.ggml.add_space_prefix"]?.bool ?? true,
                unknownID: meta["tokenizer.ggml.unknown_token_id"]?.integer, files: [file.path], sequenceStart: start)
        }
        var vocabulary: [String: Int] = [:]
        var added: [String: Int] = [:]
        for (id, token) in tokens.enumerated() {
            vocabulary[token] = id
            if id < types.count, types[id] == control || types[id] == userDefined, !token.isEmpty { added[token] = id }
        }
        guard let mergeValues = meta["tokenizer.ggml.merges"]?.array else {
            throw CheckpointError.missingKey(
                file: file.path, key: "tokenizer.ggml.merges", expected: "an array of \"a b\" merge rules")
        }
        let merges = try mergeValues.enumerated().map { i, value -> (String, String) in
            // The separator is the first space after the first character (a token may be a space).
            guard let s = value.string, let space = s.unicodeScalars.dropFirst().firstIndex(of: " ") else {
                throw fail("tokenizer.ggml.merges", "merge \(i + 1) is \(value), not two tokens separated by a space")
            }
            let scalars = s.unicodeScalars
            return (String(scalars[scalars.startIndex..<space]), String(scalars[scalars.index(after: space)...]))
        }
        let pre = meta["tokenizer.ggml.pre"]?.string ?? "default"
        guard let steps = try preTokenizer(pre) else {
            throw fail(
                "tokenizer.ggml.pre",
                "llama.cpp pre-tokenizer '\(Excerpt.short(pre))' is not read "
                    + "(supported: \(preTokenizers.joined(separator: ", ")))"
            )
        }
        do {
            return try ByteLevelBPE(
                vocabulary: vocabulary, merges: merges, source: file.path, files: [file.path], preTokenizer: steps,
                addedTokens: added, sequenceStart: start)
        } catch {
            throw fail("tokenizer.ggml.merges", "\(error)")
        }
    }

    /// llama.cpp's pre-tokenizer `name` as Hugging Face-style steps; nil for a name not read.
    static func preTokenizer(_ name: String) throws -> [PreTokenizerStep]? {
        func split(_ pattern: String) -> PreTokenizerStep {
            .split(try! PatternRegex(pattern), behavior: .isolated, invert: false)
        }
        if name == "default" { return defaultPatterns.map(split) }
        if llama3.contains(name) { return [split(llama3Pattern)] }
        if qwen2.contains(name) { return [split(qwen2Pattern)] }
        if digitsThenGPT2.contains(name) { return [split("\\p{N}"), .gpt2Pattern] }
        if gpt2.contains(name) { return [.gpt2Pattern] }
        return nil
    }
}
