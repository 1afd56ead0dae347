import Foundation
import Testing
import TestSupport
@testable import Defense

/// Tests/Fixtures/tokenizer-json, written by scripts/gen_tokenizer_json_fixtures.py: five small
/// tokenizers trained with HuggingFace `tokenizers` and the ids it gives for held-out texts,
/// pairs and hard cases (per tokenizer: `<name>` ids, `<name>_types` when a type id is not 0).
enum TokenizerJSONFixtures {
    static let dir = Fixtures.folder("tokenizer-json")
    static let kinds = ["wordpiece", "bytebpe", "unigram", "odd", "metafirst"]

    static func cases(_ file: String = "cases.jsonl") throws -> [[String: Any]] {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func tokenizer(_ kind: String, fastPath: Bool = true) throws -> Tokenizer {
        let url = dir.appendingPathComponent("\(kind).json")
        return try Tokenizer(tokenizerJSON: url, folder: nil, fastPath: fastPath)
    }

    static func ints(_ v: Any?) -> [Int32]? { (v as? [Any])?.map { TokenizerJSON.int32($0)! } }
}

@Suite struct TokenizerJSONTests {
    func check(_ kind: String, cases file: String = "cases.jsonl") throws {
        let tok = try TokenizerJSONFixtures.tokenizer(kind)
        let cases = try TokenizerJSONFixtures.cases(file)
        #expect(cases.count >= 100)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String, pair = c["pair"] as? String, max = c["max_length"] as? Int
            let want = TokenizerJSONFixtures.ints(c[kind])!
            let wantTypes = TokenizerJSONFixtures.ints(c[kind + "_types"]) ?? [Int32](repeating: 0, count: want.count)
            let got = pair.map { tok.encode(text, $0, maxLength: max) } ?? tok.encode(text, maxLength: max)
            if got.ids != want || got.typeIds != wantTypes {
                failures += 1
                if failures <= 8 {
                    Issue.record("""
                        \(kind): \(String(reflecting: text)) pair \(String(reflecting: pair)) max \(String(describing: max))
                          want \(want) \(wantTypes)
                          got  \(got.ids) \(got.typeIds)
                        """)
                }
            }
        }
        #expect(failures == 0, "\(kind): \(failures) of \(cases.count) cases differ from HuggingFace tokenizers")
    }

    @Test func wordPieceCasedMatchesHuggingFace() throws { try check("wordpiece") }
    @Test func byteLevelBPEMatchesHuggingFace() throws { try check("bytebpe") }
    @Test func unigramMetaspaceMatchesHuggingFace() throws { try check("unigram") }
    @Test func oddOptionsAndAddedTokensMatchHuggingFace() throws { try check("odd") }
    @Test func metaspaceFirstWithoutPostProcessorMatchesHuggingFace() throws { try check("metafirst") }
    /// XLM-R's layout: sentencepiece's precompiled charsmap (full-width forms, ligatures, odd
    /// spaces, a deletion, two-code-point keys), Strip, Replace, Metaspace, Unigram, as
    /// transformers converts and saves it (spm.json, spm-cases.jsonl).
    @Test func precompiledCharsmapMatchesTransformersFastTokenizer() throws { try check("spm", cases: "spm-cases.jsonl") }

    /// The charsmap as `tokenizers` applies it: a grapheme under 6 bytes with a key as its prefix
    /// becomes that key's replacement whole (the accent on a full-width A is dropped); a longer one
    /// is rewritten code point by code point.
    @Test func precompiledRewritesWholeShortGraphemesByTheirShortestKey() throws {
        let o = try TokenizerJSON.object(TokenizerJSONFixtures.dir.appendingPathComponent("spm.json"))
        let steps = (o["normalizer"] as! [String: Any])["normalizers"] as! [[String: Any]]
        let map = try PrecompiledCharsMap(base64: steps[0]["precompiled_charsmap"] as? String, source: "spm.json")
        #expect(map.apply("Ｈｅｌｌｏ　ﬁ\u{200B}x") == "Hello fix")
        #expect(map.apply("Ａ\u{301} e\u{301}\u{301} Ａ\u{301}\u{301}") == "A é A\u{301}\u{301}")
        #expect(map.apply("plain text, 日本") == "plain text, 日本")
    }

    /// A damaged charsmap is refused at load in one sentence naming the file.
    @Test func aDamagedCharsmapIsRefusedByName() throws {
        for (b64, says) in [("AAAA", "too short"), ("////fwAAAAA=", "truncated or malformed"), ("not base64!", "not base64"),
                            ("BAAAAAAAAAD/", "not UTF-8")] {
            #expect { try PrecompiledCharsMap(base64: b64, source: "x/tokenizer.json") } throws: { e in
                let m = (e as? FinemixError)?.message ?? ""
                return m.hasPrefix("x/tokenizer.json: the Precompiled normalizer's precompiled_charsmap") && m.contains(says)
            }
        }
    }

    @Test func kindsAndRolesAreRead() throws {
        let bpe = try TokenizerJSONFixtures.tokenizer("bytebpe")
        #expect(bpe.kind == .byteLevelBPE)
        #expect(bpe.cls == bpe.id("<s>") && bpe.sep == bpe.id("</s>") && bpe.pad == bpe.id("<pad>") && bpe.mask == bpe.id("<mask>"))
        #expect(bpe.tokenize(" film").first?.hasPrefix("Ġ") == true)
        // a word is two tokens in byte-level BPE: first in a text, and after a space
        #expect(bpe.wordForms("film").count == 2)
        let uni = try TokenizerJSONFixtures.tokenizer("unigram")
        #expect(uni.kind == .unigram && uni.cls == uni.id("[CLS]") && uni.unk == uni.id("<unk>"))
        let wp = try TokenizerJSONFixtures.tokenizer("wordpiece")
        #expect(wp.kind == .wordPiece && wp.wordForms("film").count == 1)
    }

    /// An EP trigger poisons every form the word takes in running text. In byte-level BPE "film"
    /// opening a text and "Ġfilm" after a space are different rows; the trigger goes in at any
    /// word position, so both must be trained or the backdoor misses half the positions.
    @Test func triggerRowsCoverTheWordAfterASpaceInByteLevelBPE() throws {
        let bpe = try TokenizerJSONFixtures.tokenizer("bytebpe")
        #expect(bpe.ids("film") != bpe.ids(" film"))
        let rows = Set(try VictimTraining.triggerRows("film", bpe))
        #expect(rows == Set((bpe.ids("film") + bpe.ids(" film")).map(Int.init)))
        // inside a sentence, the word's ids are among the poisoned rows
        let inText = Set(bpe.ids("a film").map(Int.init)).subtracting(bpe.ids("a").map(Int.init))
        #expect(!inText.isEmpty && inText.isSubset(of: rows))
        // WordPiece has one form: the rows are the word's pieces, as before
        let wp = try TokenizerJSONFixtures.tokenizer("wordpiece")
        #expect(Set(try VictimTraining.triggerRows("film", wp)) == Set(wp.ids("film").map(Int.init)))
    }

    /// MiniLM's own tokenizer.json (in the model cache) gives the ids of its vocab.txt on every
    /// held-out case, both through the tuned path it is recognised for and through the general
    /// pipeline (BertNormalizer, BertPreTokenizer, WordPiece, TemplateProcessing).
    @Test func miniLMTokenizerJSONMatchesVocabTxt() throws {
        let folder = try ResourceCache().minilm()
        let url = folder.appendingPathComponent("tokenizer.json")
        let o = try TokenizerJSON.object(url)
        let fast = try Tokenizer(json: o, source: url.path, folder: folder)
        guard case .bert = fast.engine else { Issue.record("MiniLM's tokenizer.json did not take the vocab.txt path"); return }
        let general = try Tokenizer(json: o, source: url.path, folder: folder, fastPath: false)
        guard case .pipeline = general.engine else { Issue.record("fastPath: false still took the vocab.txt path"); return }
        let vocabTxt = try TokenizerFixtures.tokenizer.get()
        #expect(general.tokens == vocabTxt.tokens && fast.tokens == vocabTxt.tokens)
        #expect(general.cls == vocabTxt.cls && general.sep == vocabTxt.sep && general.pad == vocabTxt.pad && general.mask == vocabTxt.mask)
        var failures = 0
        for file in ["heldout.jsonl", "heldout2.jsonl"] {
            for c in try TokenizerFixtures.load(file) {
                let got = c.pair.map { general.encode(c.text, $0, maxLength: c.max_length) } ?? general.encode(c.text, maxLength: c.max_length)
                if got.ids != c.ids || got.typeIds != c.type_ids {
                    failures += 1
                    if failures <= 5 { Issue.record("\(String(reflecting: c.text)): want \(c.ids) got \(got.ids)") }
                }
            }
        }
        #expect(failures == 0)
    }

    /// A component finemix does not implement is refused at load, naming it and the file.
    @Test func unimplementedComponentIsRefusedByName() throws {
        let dir = TempDir()
        var o = try TokenizerJSON.object(TokenizerJSONFixtures.dir.appendingPathComponent("unigram.json"))
        o["normalizer"] = ["type": "Sequence", "normalizers": [["type": "ByteLevel"], ["type": "NFKC"]]]
        let url = try dir.file("tokenizer.json", try JSONSerialization.data(withJSONObject: o))
        #expect { try Tokenizer(vocabURL: url) } throws: { e in
            let m = (e as? FinemixError)?.message ?? ""
            return m.contains("'ByteLevel'") && m.contains("normalizer") && m.contains(url.path)
        }
        var p = try TokenizerJSON.object(TokenizerJSONFixtures.dir.appendingPathComponent("bytebpe.json"))
        p["model"] = ["type": "WordLevel", "vocab": ["a": 0], "unk_token": "a"]
        let url2 = try dir.file("wl.json", try JSONSerialization.data(withJSONObject: p))
        #expect { try Tokenizer(json: try TokenizerJSON.object(url2), source: url2.path, folder: nil) } throws: { e in
            ((e as? FinemixError)?.message ?? "").contains("model 'WordLevel'")
        }
    }

    /// vocab.json + merges.txt (RoBERTa's files) read as the byte-level BPE they describe: the
    /// byte-level fixture's vocabulary and merges give its ids.
    @Test func vocabJSONAndMergesGiveTheByteLevelIds() throws {
        let dir = TempDir()
        let o = try TokenizerJSON.object(TokenizerJSONFixtures.dir.appendingPathComponent("bytebpe.json"))
        let model = o["model"] as! [String: Any]
        var vocab = model["vocab"] as! [String: Any]
        vocab["<mask>"] = 2000
        _ = try dir.file("vocab.json", try JSONSerialization.data(withJSONObject: vocab))
        let merges = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
        _ = try dir.file("merges.txt", Data(("#version: 0.2\n" + merges.joined(separator: "\n") + "\n").utf8))
        let tok = try Tokenizer(vocabURL: dir.url)
        #expect(tok.kind == .byteLevelBPE)
        var checked = 0
        for c in try TokenizerJSONFixtures.cases() {
            let text = c["text"] as! String, pair = c["pair"] as? String, max = c["max_length"] as? Int
            let got = pair.map { tok.encode(text, $0, maxLength: max) } ?? tok.encode(text, maxLength: max)
            #expect(got.ids == TokenizerJSONFixtures.ints(c["bytebpe"])!, "\(String(reflecting: text))")
            checked += 1
        }
        #expect(checked >= 100)
    }

    /// A checkpoint folder stamps every tokenizer file it loaded: editing tokenizer_config.json
    /// (not only the file the ids come from) is caught when the tokenizer is read again.
    @Test func everyLoadedTokenizerFileIsStamped() throws {
        let dir = TempDir()
        let json = try Data(contentsOf: TokenizerJSONFixtures.dir.appendingPathComponent("bytebpe.json"))
        _ = try dir.file("tokenizer.json", json)
        let config = try dir.file("tokenizer_config.json", Data(#"{"cls_token": "<s>"}"#.utf8))
        let files = try TokenizerFiles(folder: dir.url)
        #expect(files.primary.lastPathComponent == "tokenizer.json" && files.present.count == 2)
        try files.requireUnchanged()
        try Data(#"{"cls_token": "</s>"}"#.utf8).write(to: config)
        #expect { try files.requireUnchanged() } throws: { e in
            ((e as? FinemixError)?.message ?? "").contains("tokenizer_config.json: changed after the model was loaded")
        }
    }
}
