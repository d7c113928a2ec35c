

/// Finds and reads the tokenizer files of a model folder.
public enum TokenizerFiles {
    public static func load(directory: String) throws -> any Tokenizer {
        try ByteLevelBPE(directory: directory)
    }
}
