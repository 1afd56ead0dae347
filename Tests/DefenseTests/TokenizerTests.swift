import Foundation
import Testing
@testable import Defense
import TestSupport

/// One line of Tests/Fixtures/tokenizer/*.jsonl, written by scripts/gen_tokenizer_fixtures.py
/// from HuggingFace `tokenizers` (BertWordPieceTokenizer, lowercase, the real MiniLM vocab).
struct TokenizerCase: Decodable {
    let text: String
    let pair: String?
    let max_length: Int?
    let ids: [Int32]
    let type_ids: [Int32]
}

enum TokenizerFixtures {
    static func load(_ name: String) throws -> [TokenizerCase] {
        let url = Fixtures.folder("tokenizer").appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(TokenizerCase.self, from: Data($0.utf8))
        }
    }

    static let tokenizer: Result<Tokenizer, any Error> = Result {
        try Tokenizer(vocabURL: ResourceCache().minilm().appendingPathComponent("vocab.txt"))
    }
}

@Suite struct TokenizerTests {
    func check(_ file: String) throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let cases = try TokenizerFixtures.load(file)
        #expect(cases.count >= 300)
        var failures = 0
        for c in cases {
            let got = c.pair.map { tok.encode(c.text, $0, maxLength: c.max_length) }
                ?? tok.encode(c.text, maxLength: c.max_length)
            if got.ids != c.ids || got.typeIds != c.type_ids {
                failures += 1
                if failures <= 10 {
                    Issue.record("""
                        \(file): \(String(reflecting: c.text)) pair \(String(reflecting: c.pair)) max \(String(describing: c.max_length))
                          want \(c.ids) \(c.type_ids)
                          got  \(got.ids) \(got.typeIds)
                        """)
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(cases.count) cases differ from HuggingFace")
    }

    @Test func fixtureCasesMatchHuggingFace() throws { try check("cases.jsonl") }

    @Test func heldOutCasesMatchHuggingFace() throws { try check("heldout.jsonl") }

    /// Made after heldout.jsonl had been seen once; never tuned against.
    @Test func secondHeldOutCasesMatchHuggingFace() throws { try check("heldout2.jsonl") }

    @Test func tokensForDisplay() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        #expect(tok.tokenize("Unaffable playing!") == ["una", "##ffa", "##ble", "playing", "!"])
        #expect(tok.tokenize("") == [])
    }

    @Test func tokenizesTheRTCorpusQuickly() throws {
        let tok = try TokenizerFixtures.tokenizer.get()
        let url = try ResourceCache().file(PinnedResources.vader, "movieReviewSnippets_GroundTruth.txt")
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
            .map { $0.split(separator: "\t", maxSplits: 2).last.map(String.init) ?? "" }
        #expect(lines.count > 10_000)
        let clock = ContinuousClock()
        var total = 0
        let elapsed = clock.measure {
            for line in lines { total += tok.encode(line).ids.count }
        }
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        print("tokenized \(lines.count) RT sentences (\(total) ids) in \(String(format: "%.3f", seconds)) s")
        #expect(seconds < 1.0)
    }
}

@Suite struct BasicTokenizerTests {
    @Test func cleansControlAndZeroWidthCharacters() {
        // NUL, U+FFFD, Cc and Cf vanish without splitting the word; \t \n \r split it.
        #expect(BasicTokenizer.words("a\u{0}b\u{FFFD}c\u{7}d\u{200B}e\u{FEFF}f\u{AD}g") == ["abcdefg"])
        #expect(BasicTokenizer.words("a\tb\nc\rd") == ["a", "b", "c", "d"])
        #expect(BasicTokenizer.words("a\u{3000}b\u{A0}c\u{2028}d") == ["a", "b", "c", "d"])
    }

    @Test func asciiSymbolsArePunctuation() {
        #expect(BasicTokenizer.words("$5^2`x~y+z=w<v>|") ==
                ["$", "5", "^", "2", "`", "x", "~", "y", "+", "z", "=", "w", "<", "v", ">", "|"])
        #expect(BasicTokenizer.words("don't «no» ¿qué?") == ["don", "'", "t", "«", "no", "»", "¿", "que", "?"])
        // symbols outside ASCII (So, Sm, Sc) stay inside words
        #expect(BasicTokenizer.words("a€b a→b") == ["a€b", "a→b"])
    }

    @Test func splitsCJKIdeographsButNotKana() {
        #expect(BasicTokenizer.words("中文abc测试") == ["中", "文", "abc", "测", "试"])
        #expect(BasicTokenizer.words("カタカナ") == ["カタカナ"])
        #expect(BasicTokenizer.isCJK(0x2B920) && !BasicTokenizer.isCJK(0x2B820) && BasicTokenizer.isCJK(0x2F800) && !BasicTokenizer.isCJK(0x3042))
    }

    @Test func lowercasesAndStripsAccentsPerScalar() {
        #expect(BasicTokenizer.words("Héllo WÖRLD Ångström") == ["hello", "world", "angstrom"])
        #expect(BasicTokenizer.words("cafe\u{301}") == ["cafe"])        // decomposed input
        #expect(BasicTokenizer.words("İSTANBUL") == ["istanbul"])
        // per-scalar lowercase: a final capital sigma becomes σ, as in the Rust normalizer
        #expect(BasicTokenizer.words("ΟΔΟΣ") == ["οδοσ"])
    }

    @Test func graphemeClustersAreNotUnits() {
        // a family emoji is one Character but five scalars; the ZWJs (Cf) are dropped
        #expect(BasicTokenizer.words("👨‍👩‍👧") == ["👨👩👧"])
    }
}

@Suite struct WordPieceTests {
    static func vocab() throws -> Vocabulary {
        try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able",
                                "##a", "a", "##b", "é"], source: "test vocab")
    }

    @Test func greedyLongestMatch() throws {
        let tok = Tokenizer(vocab: try Self.vocab())
        #expect(tok.ids("unaffable") == [5, 6, 7])
        #expect(tok.ids("unx") == [1])                                 // no cover → one [UNK]
        #expect(tok.ids("ab") == [9, 10])
        #expect(tok.ids("a [MASK] [CLS]un") == [9, 4, 2, 5])           // verbatim specials
        #expect(tok.ids(String(repeating: "a", count: 100)) == [Int32](repeating: 9, count: 1) + [Int32](repeating: 8, count: 99))
        #expect(tok.ids(String(repeating: "a", count: 101)) == [1])    // over 100 scalars
    }

    @Test func singleTruncationKeepsThePrefix() throws {
        let tok = Tokenizer(vocab: try Self.vocab())
        #expect(tok.encode("a a a a", maxLength: 4).ids == [2, 9, 9, 3])
        #expect(tok.encode("a a a a", maxLength: 2).ids == [2, 3])
        #expect(tok.encode("a a", maxLength: 10).ids == [2, 9, 9, 3])
    }

    @Test func pairTruncationIsLongestFirst() {
        // budget 7 for 8 + 7 tokens: both over half, the longer (first) keeps the odd one
        #expect(Tokenizer.longestFirst(8, 7, budget: 7) == (4, 3))
        #expect(Tokenizer.longestFirst(7, 8, budget: 7) == (3, 4))
        // tie: the second sequence keeps the odd token (tokenizers; the legacy slow one differs)
        #expect(Tokenizer.longestFirst(6, 6, budget: 7) == (3, 4))
        // the short one fits whole when the long one can take the rest
        #expect(Tokenizer.longestFirst(2, 20, budget: 7) == (2, 5))
        #expect(Tokenizer.longestFirst(20, 2, budget: 7) == (5, 2))
        #expect(Tokenizer.longestFirst(3, 4, budget: 7) == (3, 4))
        #expect(Tokenizer.longestFirst(3, 4, budget: 0) == (0, 0))
    }

    @Test func pairTypeIds() throws {
        let tok = Tokenizer(vocab: try Self.vocab())
        let e = tok.encode("a", "un a")
        #expect(e.ids == [2, 9, 3, 5, 9, 3])
        #expect(e.typeIds == [0, 0, 0, 1, 1, 1])
    }
}

@Suite struct VocabularyTests {
    func write(_ bytes: [UInt8]) throws -> URL {
        let url = TempFolder.url("vocab").appendingPathExtension("txt")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func missingFileNamesIt() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/vocab.txt")
        #expect(throws: FinemixError("cannot read vocabulary /nonexistent/dir/vocab.txt: file missing or unreadable")) {
            try Vocabulary(url: url)
        }
    }

    @Test func emptyFileIsAnError() throws {
        let url = try write([])
        #expect(throws: FinemixError("vocabulary \(url.path) is empty")) { try Vocabulary(url: url) }
    }

    @Test func invalidUTF8NamesTheLine() throws {
        let url = try write(Array("[PAD]\n[UNK]\nok\n".utf8) + [0xFF, 0xFE] + Array("\n".utf8))
        #expect(throws: FinemixError("vocabulary \(url.path) line 4 is not valid UTF-8")) { try Vocabulary(url: url) }
    }

    @Test func missingSpecialTokenIsNamed() throws {
        let url = try write(Array("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".utf8))
        #expect(throws: FinemixError("\(url.path) has no [MASK] token")) { try Vocabulary(url: url) }
    }

    @Test func idsAreLineIndicesAndCRLFIsAccepted() throws {
        let url = try write(Array("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nhello\r\n##lo".utf8))
        let v = try Vocabulary(url: url)
        #expect(v.count == 7)
        #expect(v.id("hello") == 5 && v.id("##lo") == 6 && v.id("lo") == nil)
        #expect(v.cls == 2 && v.sep == 3 && v.mask == 4 && v.pad == 0 && v.unk == 1)
    }
}
