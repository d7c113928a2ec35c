/// What the analysis needs of a model's tokenizer, whatever its files look
/// like (GPT-2's `vocab.json` + `merges.txt`, a Hugging Face `tokenizer.json`,
/// a GGUF file's vocabulary). An architecture adapter provides one with its weights.
public protocol Tokenizer: Sendable {
    /// The number of token ids.
    var count: Int { get }
    func encode(_ text: String) -> [Int]
    func decode(_ ids: [Int]) -> String
    /// The id of `text` when the whole of it is one token.
    func singleToken(_ text: String) -> Int?
    /// The token of a word as it stands inside a sentence, if it is one token.
    /// The method's single rule for turning a relation's word into a token:
    /// byte-level BPEs spell a word after a space with the space ("Ġword").
    func wordToken(_ word: String) -> Int?
    /// The files it was read from, in a stable order, for provenance.
    var files: [String] { get }
    /// The ids a `tokenizer.json`'s post-processor puts before every text
    /// encoded for the model (Hugging Face's default, `add_special_tokens`):
    /// Llama 3's `<|begin_of_text|>`, Gemma's `<bos>`; none for GPT-2. Models
    /// trained with one behave differently without it.
    var sequenceStart: [Int] { get }
}

extension Tokenizer {
    public func wordToken(_ word: String) -> Int? { singleToken(" " + word) }
    public var sequenceStart: [Int] { [] }

    /// A prompt as the model reads it: the sequence-start ids, then the text's.
    public func modelInput(_ text: String) -> [Int] { sequenceStart + encode(text) }
}
