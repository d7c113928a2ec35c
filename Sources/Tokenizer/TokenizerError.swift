import Core

/// A problem with a model's tokenizer files; each case names the file.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case noFiles(folder: String)
    case unreadable(InputFileError)
    case notAVocabulary(file: String)
    case badId(file: String, token: String, id: String)
    case duplicateId(file: String, id: Int, first: String, second: String)
    case badMergeLine(file: String, line: Int, text: String)
    case mergeOutsideVocabulary(file: String, merge: Int, left: String, right: String)
    case tokenizerJSON(file: String, problem: String)

    public var description: String {
        switch self {
        case .noFiles(let folder):
            return "\(folder): no tokenizer.json, vocab.json + merges.txt or encoder.json + vocab.bpe in this directory"
        case .tokenizerJSON(let file, let problem): return "\(file): \(problem)"
        case .unreadable(let error): return error.description
        case .notAVocabulary(let file): return "\(file): is not a JSON object of token → id"
        case .badId(let file, let token, let id):
            return "\(file): token '\(token)' has id \(id); ids must be non-negative integers"
        case .duplicateId(let file, let id, let a, let b): return "\(file): id \(id) is given to both '\(a)' and '\(b)'"
        case .badMergeLine(let file, let line, let text):
            return "\(file): line \(line) is not two tokens separated by one space: '\(text)'"
        case .mergeOutsideVocabulary(let file, let merge, let left, let right):
            return
                "\(file): merge \(merge) '\(Excerpt.short(left)) \(Excerpt.short(right))' produces "
                + "'\(Excerpt.short(left + right))', which the vocabulary file does not hold"
        }
    }
}
