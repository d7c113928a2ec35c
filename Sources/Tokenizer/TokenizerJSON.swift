import Core
import Foundation

/// A Hugging Face `tokenizer.json` with a BPE model: byte-level (GPT-2,
/// Pythia, Phi-2, Llama 3, Qwen2) or SentencePiece-style (Gemma, Mistral
/// v0.1, Llama 2: `▁` for spaces, byte fallback). Read: the vocabulary and
/// merges (as `"a b"` strings or `["a", "b"]` pairs), `ignore_merges`,
/// `byte_fallback`, the unknown token, the added tokens, the normalizer,
/// the pre-tokenizer, and the special tokens the post-processor puts before a
/// text (`sequenceStart`). The decoder and padding are not read.
public enum TokenizerJSON {
    public static func load(_ path: String) throws -> any Tokenizer {
        let data: Data
        do { data = try InputFile.read(path, kind: "tokenizer.json", limit: InputFile.Limit.vocabulary) } catch {
            throw TokenizerError.unreadable(error)
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws -> any Tokenizer {
        func fail(_ problem: String) -> TokenizerError { .tokenizerJSON(file: path, problem: problem) }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            // Foundation's own words (nesting too deep, a bad character at line L), not its error domain and code.
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "it does not parse"
            throw fail("is not valid JSON: \(reason)")
        }
        guard let root = parsed as? [String: Any] else { throw fail("is not a JSON object (its top level is not {…})") }
        guard let model = root["model"] as? [String: Any] else { throw fail("has no 'model' object") }
        let type = model["type"] as? String ?? "BPE"
        guard type == "BPE" else { throw fail("model type '\(Excerpt.short(type))' is not supported (supported: BPE)") }
        guard let vocabObject = model["vocab"] as? [String: Any] else {
            throw fail("'model.vocab' is not an object of token → id")
        }
        let vocabulary = try MergeRanks.vocabulary(vocabObject, file: path)
        var merges: [(String, String)] = []
        for (i, item) in ((model["merges"] as? [Any]) ?? []).enumerated() {
            if let line = item as? String {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw fail("merge \(i + 1) '\(Excerpt.short(line))' is not two tokens separated by one space")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = item as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw fail("merge \(i + 1) is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        var added: [String: Int] = [:]
        var edges: [String: AddedTokens.Edges] = [:]
        for (i, item) in ((root["added_tokens"] as? [[String: Any]]) ?? []).enumerated() {
            guard let content = item["content"] as? String, !content.isEmpty,
                let n = item["id"] as? NSNumber, let id = Int(exactly: n.doubleValue), id >= 0
            else {
                throw fail("added token \(i + 1) lacks a non-empty 'content' or a non-negative integer 'id'")
            }
            added[content] = id
            let flags = AddedTokens.Edges(
                lstrip: item["lstrip"] as? Bool ?? false, rstrip: item["rstrip"] as? Bool ?? false,
                singleWord: item["single_word"] as? Bool ?? false)
            if flags != AddedTokens.Edges() { edges[content] = flags }
        }
        let start = try sequenceStart(root["post_processor"], fail: fail)
        let tokenizer: any Tokenizer
        // The pipeline decides: a ByteLevel pre-tokenizer maps every byte to a
        // token character, so no byte ever falls back, whatever `byte_fallback` says.
        if !isByteLevel(root) && ((model["byte_fallback"] as? Bool) == true || isSentencePiece(root)) {
            tokenizer = try SentencePieceBPE(
                vocabulary: vocabulary, merges: merges, source: path, files: [path],
                normalizers: try normalizers(root["normalizer"], fail: fail),
                preTokenizer: try preTokenizer(root["pre_tokenizer"], fail: fail),
                addedTokens: added, addedTokenEdges: edges, byteFallback: (model["byte_fallback"] as? Bool) ?? false,
                unknownToken: model["unk_token"] as? String, fuseUnknown: (model["fuse_unk"] as? Bool) ?? false,
                sequenceStart: start)
        } else {
            tokenizer = try ByteLevelBPE(
                vocabulary: vocabulary, merges: merges, source: path, files: [path],
                normalizers: try normalizers(root["normalizer"], fail: fail),
                preTokenizer: try preTokenizer(root["pre_tokenizer"], fail: fail),
                addedTokens: added, addedTokenEdges: edges, ignoreMerges: (model["ignore_merges"] as? Bool) ?? false,
                sequenceStart: start)
        }
        if let bad = start.first(where: { $0 >= tokenizer.count }) {
            throw fail("post_processor puts id \(bad) before every text, but the vocabulary has \(tokenizer.count) ids")
        }
        return tokenizer
    }

    /// The ids a `TemplateProcessing` post-processor (alone or in a
    /// `Sequence`) puts before a single text: its special tokens before the
    /// first `Sequence` item. Tokens it puts after the text are not added: a
    /// prompt is continued, not ended.
    static func sequenceStart(_ value: Any?, fail: (String) -> TokenizerError) throws -> [Int] {
        guard let object = value as? [String: Any] else { return [] }
        switch object["type"] as? String {
        case "Sequence":
            for processor in (object["processors"] as? [Any]) ?? [] {
                let ids = try sequenceStart(processor, fail: fail)
                if !ids.isEmpty { return ids }
            }
            return []
        case "RobertaProcessing", "BertProcessing":
            // `cls` (`["<s>", 0]`) before the text, `sep` after it (a prompt is continued, so not added).
            guard let cls = object["cls"] as? [Any], cls.count == 2,
                let id = (cls[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
                id >= 0
            else {
                throw fail(
                    "post_processor \(object["type"] as? String ?? "")'s 'cls' must be [token, non-negative integer id]"
                )
            }
            return [id]
        case "TemplateProcessing":
            let specials = (object["special_tokens"] as? [String: Any]) ?? [:]
            var ids: [Int] = []
            for item in (object["single"] as? [[String: Any]]) ?? [] {
                guard let special = item["SpecialToken"] as? [String: Any] else { break }
                let name = special["id"] as? String ?? ""
                let list = (specials[name] as? [String: Any])?["ids"] as? [NSNumber]
                let converted = list?.compactMap { Int(exactly: $0.doubleValue) }.filter { $0 >= 0 }
                guard let list, let converted, converted.count == list.count else {
                    throw fail(
                        "post_processor's special token '\(Excerpt.short(name))' has no entry with non-negative "
                            + "integer 'ids' in 'special_tokens'"
                    )
                }
                ids += converted
            }
            return ids
        default:
            return []
        }
    }

    /// Whether the pre-tokenizer (alone or in a `Sequence`) has a `ByteLevel` step.
    static func isByteLevel(_ root: [String: Any]) -> Bool {
        func has(_ value: Any?) -> Bool {
            guard let object = value as? [String: Any] else { return false }
            if object["type"] as? String == "ByteLevel" { return true }
            return ((object["pretokenizers"] as? [Any]) ?? []).contains(where: has)
        }
        return has(root["pre_tokenizer"])
    }

    static func isSentencePiece(_ root: [String: Any]) -> Bool {
        let text = [root["normalizer"], root["pre_tokenizer"], root["decoder"]].compactMap { $0 }.map { "\($0)" }
            .joined()
        return text.contains("Metaspace") || text.contains("▁")
    }

    static func normalizers(_ value: Any?, fail: (String) -> TokenizerError) throws -> [Normalizer] {
        guard let object = value as? [String: Any] else { return [] }
        let type = object["type"] as? String ?? ""
        switch type {
        case "Sequence":
            return try ((object["normalizers"] as? [Any]) ?? []).flatMap { try normalizers($0, fail: fail) }
        case "NFC": return [.nfc]
        case "NFKC": return [.nfkc]
        case "Lowercase": return [.lowercase]
        case "Prepend":
            return [.prepend(object["prepend"] as? String ?? "")]
        case "Replace":
            guard let pattern = (object["pattern"] as? [String: Any])?["String"] as? String,
                let content = object["content"] as? String
            else {
                throw fail("normalizer Replace: only a 'String' pattern is supported")
            }
            return [.replace(pattern: pattern, content: content)]
        default:
            throw fail(
                "normalizer '\(Excerpt.short(type))' is not supported (supported: NFC, NFKC, Lowercase, Replace, "
                    + "Prepend, Sequence)"
            )
        }
    }

    static func preTokenizer(_ value: Any?, fail: (String) -> TokenizerError) throws -> [PreTokenizerStep] {
        guard let object = value as? [String: Any] else { return [] }
        let type = object["type"] as? String ?? ""
        switch type {
        case "Sequence":
            return try ((object["pretokenizers"] as? [Any]) ?? []).flatMap { try preTokenizer($0, fail: fail) }
        case "ByteLevel":
            // Byte mapping itself happens in the model; this step only splits.
            var steps: [PreTokenizerStep] = []
            if (object["add_prefix_space"] as? Bool) == true { steps.append(.prefixSpace) }
            if (object["use_regex"] as? Bool) ?? true { steps.append(.gpt2Pattern) }
            return steps
        case "Split":
            let pattern = object["pattern"] as? [String: Any]
            let regex: PatternRegex
            if let source = pattern?["Regex"] as? String {
                do {
                    regex = try PatternRegex(source)
                    try regex.checkCost()
                } catch { throw fail("pre-tokenizer Split: \(error.description)") }
            } else if let literal = pattern?["String"] as? String {
                let escaped = literal.unicodeScalars.map {
                    "\\\\^$.|?*+()[]{}".unicodeScalars.contains($0) ? "\\\($0)" : String($0)
                }.joined()
                do { regex = try PatternRegex(escaped) } catch {
                    throw fail("pre-tokenizer Split: \(error.description)")
                }
            } else {
                throw fail("pre-tokenizer Split has no 'Regex' or 'String' pattern")
            }
            let name = object["behavior"] as? String ?? "Isolated"
            guard let behavior = PreTokenizerStep.SplitBehavior(rawValue: name) else {
                throw fail("pre-tokenizer Split: behavior '\(Excerpt.short(name))' is not supported")
            }
            return [.split(regex, behavior: behavior, invert: (object["invert"] as? Bool) ?? false)]
        case "Metaspace":
            if let replacement = object["replacement"] as? String, replacement != SentencePieceBPE.space {
                throw fail(
                    "pre-tokenizer Metaspace: replacement '\(Excerpt.short(replacement))' is not supported (only '▁')")
            }
            let legacy = (object["add_prefix_space"] as? Bool) == false ? "never" : "always"
            let scheme = object["prepend_scheme"] as? String ?? legacy
            guard let prepend = PreTokenizerStep.MetaspacePrepend(rawValue: scheme) else {
                throw fail(
                    "pre-tokenizer Metaspace: prepend_scheme '\(Excerpt.short(scheme))' is not always, first or never")
            }
            return [.metaspace(prepend: prepend, split: (object["split"] as? Bool) ?? true)]
        case "Digits":
            let individual = (object["individual_digits"] as? Bool) ?? false
            return [.split(try! PatternRegex(individual ? "\\p{Nd}" : "\\p{Nd}+"), behavior: .isolated, invert: false)]
        default:
            throw fail(
                "pre-tokenizer '\(Excerpt.short(type))' is not supported (supported: ByteLevel, Split, Metaspace, "
                    + "Digits, Sequence)"
            )
        }
    }
}
