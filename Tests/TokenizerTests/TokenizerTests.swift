import Foundation
import Tokenizer
import HeadMapsTestSupport
import XCTest

/// Against the real GPT-2 vocabulary (50257 tokens, 50000 merges). Expected ids
/// were produced by an independent reference implementation of GPT-2's BPE
/// (the published regex with `\p{L}` classes) over the same files.
final class TokenizerTests: XCTestCase {
    func testEncodesHelloWorldToGPT2Ids() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.count, 50257)
        XCTAssertEqual(bpe.encode("hello world"), [31373, 995])
        XCTAssertEqual(bpe.encode("Hello, world!"), [15496, 11, 995, 0])
    }

    func testCapitalsWithLeadingSpaceAreSingleTokens() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.singleToken(" Paris"), 6342)
        // The analysis's rule: a relation's word is read as it stands inside a sentence.
        let tokenizer: any Tokenizer = bpe
        XCTAssertEqual(tokenizer.wordToken("Paris"), 6342)
        XCTAssertNil(tokenizer.wordToken("Tbilisi"))
        XCTAssertEqual(bpe.encode(" Germany Berlin France Paris Japan Tokyo"), [4486, 11307, 4881, 6342, 2869, 11790])
        XCTAssertNil(bpe.singleToken(" Tbilisi"), "Tbilisi is three GPT-2 tokens")
        XCTAssertEqual(bpe.encode(" Tbilisi"), [309, 33473, 23267])
    }

    func testAppliesTheLastMergeOfTheFile() throws {
        // Merge 50000 is 'Ġg azed'; readers that drop the last line lose it.
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.encode(" gazed"), [50255])
        XCTAssertEqual(bpe.encode("He gazed at the stars"), [1544, 50255, 379, 262, 5788])
    }

    func testContractionsAndPunctuation() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.encode("I'm here, you're there; they'll go."), [40, 1101, 994, 11, 345, 821, 612, 26, 484, 1183, 467, 13])
        XCTAssertEqual(bpe.encode("don't can't won't it's"), [9099, 470, 460, 470, 1839, 470, 340, 338])
        XCTAssertEqual(bpe.encode("<|endoftext|>"), [27, 91, 437, 1659, 5239, 91, 29], "special tokens are plain text here")
    }

    func testWhitespaceRunsKeepTheLastSpaceForTheNextWord() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.encode("  two  spaces\tand\ttabs\n\nnewlines  "),
                       [220, 734, 220, 9029, 197, 392, 197, 8658, 82, 198, 198, 3605, 6615, 220, 220])
    }

    func testDigitsAndYears() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.encode("Numbers: 1990 2024 3.14159 1,000,000"), [49601, 25, 6303, 48609, 513, 13, 1415, 19707, 352, 11, 830, 11, 830])
        XCTAssertEqual(bpe.encode("The year 1999 was followed by 2000."), [464, 614, 7358, 373, 3940, 416, 4751, 13])
        XCTAssertEqual(bpe.singleToken(" 1991"), 10249)
    }

    func testNonASCIIText() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        XCTAssertEqual(bpe.encode("naïve café résumé Zürich"), [2616, 38776, 40304, 40560, 16345, 2634, 1168, 9116, 7527])
        XCTAssertEqual(bpe.encode("東京 and Москва and القاهرة"),
                       [30266, 109, 12859, 105, 290, 12466, 250, 15166, 21727, 31583, 38857, 16142, 290, 28981, 149, 224, 12919, 29519, 26897, 45632])
        XCTAssertEqual(bpe.encode("emoji 🙂👍 ok"), [368, 31370, 32485, 41840, 235, 12876])
    }

    func testDecodeInvertsEncode() throws {
        let bpe = try TestSupport.requireGPT2Tokenizer()
        for text in ["hello world", "naïve café 東京 🙂", "  a\n\tb  ", "I'm 1999!"] {
            XCTAssertEqual(bpe.decode(bpe.encode(text)), text)
        }
    }

    func testPreTokenizerSplitsLikeTheGPT2Pattern() {
        XCTAssertEqual(ByteLevelBPE.preTokenize("Hello  world's 42x!?\n"), ["Hello", " ", " world", "'s", " 42", "x", "!?", "\n"])
        XCTAssertEqual(ByteLevelBPE.preTokenize(" 'tis"), [" '", "tis"])
        // Expected splits from Python's `regex` module with GPT-2's pattern.
        XCTAssertEqual(ByteLevelBPE.preTokenize("a \nb"), ["a", " ", "\n", "b"])
        XCTAssertEqual(ByteLevelBPE.preTokenize("x   \n\n  y"), ["x", "   \n\n ", " y"])
        XCTAssertEqual(ByteLevelBPE.preTokenize("end   "), ["end", "   "])
    }

    func testByteTableCoversEveryByteWithPrintableStandIns() {
        XCTAssertEqual(Set(ByteLevelBPE.byteToChar).count, 256)
        XCTAssertEqual(ByteLevelBPE.byteToChar[32], "Ġ")
        XCTAssertEqual(ByteLevelBPE.byteToChar[10], "Ċ")
        XCTAssertEqual(ByteLevelBPE.byteTokensInIdOrder.first, "!")
    }

    func testAcceptsBothFileNamings() throws {
        let source = try TestSupport.gpt2VocabularyDirectory()
        let dir = TestSupport.temporaryDirectory("names")
        try FileManager.default.copyItem(atPath: source + "/encoder.json", toPath: dir + "/vocab.json")
        try FileManager.default.copyItem(atPath: source + "/vocab.bpe", toPath: dir + "/merges.txt")
        XCTAssertEqual(try ByteLevelBPE(directory: dir).encode(" Paris"), [6342])
    }

    /// Tiny test models ship vocabularies without every byte token: they load,
    /// and words with a missing byte simply are not single tokens.
    func testAVocabularyWithoutSomeByteTokensLoads() throws {
        let missing = String(ByteLevelBPE.byteToChar[0xC3])  // the first byte of "é" in UTF-8
        var tokens = ByteLevelBPE.byteTokensInIdOrder.filter { $0 != missing }
        tokens += ["Ġc", "Ġca", "Ġcat"]
        let vocabulary = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        let bpe = try ByteLevelBPE(vocabulary: vocabulary, merges: [("Ġ", "c"), ("Ġc", "a"), ("Ġca", "t")])
        XCTAssertEqual(bpe.missingBytes, [0xC3])
        XCTAssertEqual(bpe.singleToken(" cat"), vocabulary["Ġcat"])
        XCTAssertNil(bpe.singleToken("é"), "its first byte has no token")
        XCTAssertTrue(bpe.encode(" café").contains(ByteLevelBPE.unknownID))
    }

    func testAMergeOutsideTheVocabularyBlamesTheVocabularyFile() throws {
        let dir = TestSupport.temporaryDirectory("blame")
        let vocabulary = Dictionary(uniqueKeysWithValues: ByteLevelBPE.byteTokensInIdOrder.enumerated().map { ($1, $0) })
        try JSONSerialization.data(withJSONObject: vocabulary).write(to: URL(fileURLWithPath: dir + "/vocab.json"))
        try "#version: 0.2\nĠ c\n".write(toFile: dir + "/merges.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ByteLevelBPE(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("produces 'Ġc', which the vocabulary file does not hold"), "\(error)")
        }
    }
}
