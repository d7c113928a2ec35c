import Foundation

/// Finds and reads the tokenizer files of a model folder: `tokenizer.json`
/// when there is one (what Hugging Face's fast tokenizers read), else GPT-2's
/// `vocab.json` + `merges.txt` or the original `encoder.json` + `vocab.bpe`.
public enum TokenizerFiles {
    public static func load(directory: String) throws -> any Tokenizer {
        let json = (directory as NSString).appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json) { return try TokenizerJSON.load(json) }
        return try ByteLevelBPE(directory: directory)
    }
}
