import Foundation

/// The tokenizer of a model folder, whatever its kind: `tokenizer.json` (the `tokenizers`
/// library's format: WordPiece, BPE or Unigram with their normalizers, pre-tokenizers, added
/// tokens and post-processor), `vocab.txt` (BERT uncased WordPiece), or `vocab.json` +
/// `merges.txt` (RoBERTa's byte-level BPE). Ids are those of the transformers fast tokenizer.
///
///     let tok = try Tokenizer(vocabURL: folder)   // a folder, or one of the files
///     tok.encode("a film", maxLength: 64)          // [CLS] a film [SEP] with type ids
///     tok.cls, tok.sep, tok.pad, tok.unk, tok.mask // ids by role, nil when the vocabulary has none
///
/// A tokenizer.json that is BERT uncased exactly (MiniLM's) runs the vocab.txt code, which is
/// tuned; every other runs the general pipeline. A value type with immutable state.
public struct Tokenizer: Sendable {
    public enum Kind: String, Sendable {
        case wordPiece = "WordPiece", bpe = "BPE", byteLevelBPE = "byte-level BPE", unigram = "Unigram"
    }

    enum Engine: Sendable {
        case bert(BertTokenizer)
        case pipeline(TokenizerPipeline)
    }

    let engine: Engine
    public let kind: Kind
    /// id → token string as the vocabulary spells it ("##ing", "Ġfilm", "▁film"), for display.
    public let tokens: [String]
    public let cls: Int32?, sep: Int32?, pad: Int32?, unk: Int32?, mask: Int32?

    /// BERT uncased WordPiece over `vocab` (vocab.txt's tokens).
    public init(vocab: Vocabulary) {
        engine = .bert(BertTokenizer(vocab: vocab))
        kind = .wordPiece
        tokens = vocab.tokens
        cls = vocab.cls; sep = vocab.sep; pad = vocab.pad; unk = vocab.unk; mask = vocab.mask
    }

    /// Loads the tokenizer of a model folder (see `TokenizerFiles` for which file wins), or the
    /// one file given: tokenizer.json, vocab.json (with merges.txt beside it), or a vocab.txt.
    public init(vocabURL: URL) throws {
        var url = vocabURL
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            url = try TokenizerFiles.primary(in: url)
        }
        let folder = url.deletingLastPathComponent()
        switch url.lastPathComponent {
        case TokenizerFiles.json:
            try self.init(tokenizerJSON: url, folder: folder)
        case TokenizerFiles.bpeVocab:
            let roles = Self.configuredRoles(folder)
            let o = try TokenizerJSON.fromVocabAndMerges(vocab: url, merges: folder.appendingPathComponent(TokenizerFiles.bpeMerges),
                                                         addPrefixSpace: roles.addPrefixSpace ?? false)
            try self.init(json: o, source: url.path, folder: folder)
        default:
            self.init(vocab: try Vocabulary(url: url))
        }
    }

    /// Builds the tokenizer of a parsed tokenizer.json. `folder` holds tokenizer_config.json and
    /// special_tokens_map.json when the model has them (they name the special tokens' roles).
    init(json o: [String: Any], source: String, folder: URL?, fastPath: Bool = true) throws {
        if fastPath, let bert = try Self.bertUncased(o, source: source) {
            self.init(vocab: bert)
            return
        }
        self.init(pipeline: try TokenizerJSON.pipeline(o, source: source), json: o, folder: folder)
    }

    /// Reads a tokenizer.json file.
    init(tokenizerJSON url: URL, folder: URL?, fastPath: Bool = true) throws {
        try self.init(json: try TokenizerJSON.object(url), source: url.path, folder: folder, fastPath: fastPath)
    }

    private init(pipeline p: TokenizerPipeline, json o: [String: Any], folder: URL?) {
        engine = .pipeline(p)
        tokens = p.tokens
        switch p.model {
        case .wordPiece: kind = .wordPiece
        case .unigram: kind = .unigram
        case .bpe: kind = Self.usesByteLevel(p.preTokenizer) ? .byteLevelBPE : .bpe
        }
        let roles = folder.map(Self.configuredRoles) ?? Roles()
        func find(_ configured: String?, _ inferred: Int32?, _ names: [String]) -> Int32? {
            if let c = configured, let id = p.lookup[Array(c.utf8)] { return id }
            if let inferred { return inferred }
            return names.lazy.compactMap { p.lookup[Array($0.utf8)] }.first
        }
        let padding = o["padding"] as? [String: Any]
        cls = find(roles.cls, p.post.firstSpecial, ["[CLS]", "<s>"])
        sep = find(roles.sep, p.post.lastSpecial, ["[SEP]", "</s>"])
        pad = find(roles.pad, TokenizerJSON.int32(padding?["pad_id"]), ["[PAD]", "<pad>"])
        unk = find(roles.unk, p.unk, ["[UNK]", "<unk>"])
        mask = find(roles.mask, nil, ["[MASK]", "<mask>"])
    }

    /// The number of ids (the largest id plus one).
    public var count: Int { tokens.count }

    /// The token string of `id`, or nil when out of range.
    public func token(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// The id of the token spelled exactly `token` (no normalizing), or nil.
    public func id(_ token: String) -> Int32? {
        switch engine {
        case .bert(let b): return b.vocab.id(token)
        case .pipeline(let p): return p.lookup[Array(token.utf8)]
        }
    }

    /// The ids of `text`, without special tokens around it.
    public func ids(_ text: String) -> [Int32] {
        switch engine {
        case .bert(let b): return b.ids(text)
        case .pipeline(let p): return p.ids(text)
        }
    }

    /// The token strings of `text` (e.g. "play", "##ing"; "Ġplay"), for display.
    public func tokenize(_ text: String) -> [String] {
        ids(text).map { token($0) ?? "" }
    }

    /// The ids a word gets in running text: as the text's first word and after a space. They
    /// differ in byte-level BPE ("cf" and "Ġcf" are two tokens) and in Metaspace pipelines without
    /// a prepended marker; for WordPiece they are one form.
    public func wordForms(_ word: String) -> [[Int32]] {
        let a = ids(word), b = ids(" " + word)
        return a == b ? [a] : [a, b]
    }

    /// The model's input for one text: special tokens around it, cut to `maxLength` ids (specials
    /// included) when given.
    public func encode(_ text: String, maxLength: Int? = nil) -> Encoding {
        switch engine {
        case .bert(let b): return b.encode(text, maxLength: maxLength)
        case .pipeline(let p):
            var a = p.ids(text)
            if let maxLength { a = Array(a.prefix(max(0, maxLength - p.post.added(pair: false)))) }
            return p.post.apply(a, nil)
        }
    }

    /// The model's input for a pair, truncated longest-first to `maxLength` when given.
    public func encode(_ a: String, _ b: String, maxLength: Int? = nil) -> Encoding {
        switch engine {
        case .bert(let t): return t.encode(a, b, maxLength: maxLength)
        case .pipeline(let p):
            var x = p.ids(a), y = p.ids(b)
            if let maxLength {
                let (nx, ny) = Self.longestFirst(x.count, y.count, budget: max(0, maxLength - p.post.added(pair: true)))
                x.removeSubrange(nx...)
                y.removeSubrange(ny...)
            }
            return p.post.apply(x, y)
        }
    }

    /// The token strings of an encoding without the special tokens the template put before the
    /// first sequence and after the last (those between a pair's sequences stay: they show where
    /// it splits).
    public func innerTokens(_ e: Encoding, pair: Bool) -> [String] {
        let outer: (lead: Int, trail: Int)
        switch engine {
        case .bert: outer = (1, 1)
        case .pipeline(let p): outer = p.post.outerSpecials(pair: pair)
        }
        let (lead, trail) = outer
        guard e.ids.count >= lead + trail else { return [] }
        return e.ids.dropFirst(lead).dropLast(trail).map { token($0) ?? "" }
    }

    /// `tokenizers`' LongestFirst truncation (see BertTokenizer.longestFirst).
    public static func longestFirst(_ n1: Int, _ n2: Int, budget: Int) -> (Int, Int) {
        BertTokenizer.longestFirst(n1, n2, budget: budget)
    }

    // MARK: loading

    static func usesByteLevel(_ p: PreTokenizer?) -> Bool {
        switch p {
        case .byteLevel?: return true
        case .sequence(let steps)?: return steps.contains { usesByteLevel($0) }
        default: return false
        }
    }

    /// The vocab.txt tokenizer, when the tokenizer.json describes BERT uncased exactly: HF's
    /// BertNormalizer defaults, BertPreTokenizer, WordPiece "##" up to 100 characters with [UNK],
    /// [CLS] a [SEP] (b [SEP]) with type ids 0/1, the five specials as its only added tokens
    /// (special, matched in the raw text), and ids 0..<n without gaps. Checked on the JSON itself,
    /// so recognising it costs no pipeline.
    static func bertUncased(_ o: [String: Any], source: String) throws -> Vocabulary? {
        guard let n = o["normalizer"] as? [String: Any], n["type"] as? String == "BertNormalizer",
              n["clean_text"] as? Bool ?? true, n["handle_chinese_chars"] as? Bool ?? true,
              n["lowercase"] as? Bool ?? true, n["strip_accents"] as? Bool ?? true,
              (o["pre_tokenizer"] as? [String: Any])?["type"] as? String == "BertPreTokenizer",
              let m = o["model"] as? [String: Any], m["type"] as? String == "WordPiece",
              m["continuing_subword_prefix"] as? String ?? "##" == "##",
              m["max_input_chars_per_word"] as? Int ?? WordPiece.maxInputChars == WordPiece.maxInputChars,
              m["unk_token"] as? String ?? "[UNK]" == "[UNK]",
              let v = m["vocab"] as? [String: Any], !v.isEmpty else { return nil }
        var tokens = [String?](repeating: nil, count: v.count)
        for (t, id) in v {
            guard let i = TokenizerJSON.int32(id), i >= 0, Int(i) < tokens.count, tokens[Int(i)] == nil else { return nil }
            tokens[Int(i)] = t
        }
        guard let vocab = try? Vocabulary(tokens: tokens.map { $0 ?? "" }), !tokens.contains(nil),
              let added = o["added_tokens"] as? [[String: Any]], added.count == 5 else { return nil }
        let specials: [String: Int32] = ["[PAD]": vocab.pad, "[UNK]": vocab.unk, "[CLS]": vocab.cls, "[SEP]": vocab.sep, "[MASK]": vocab.mask]
        var seen = Set<String>()
        for a in added {
            guard let content = a["content"] as? String, specials[content] == TokenizerJSON.int32(a["id"]),
                  a["special"] as? Bool == true, a["normalized"] as? Bool ?? false == false,
                  !(a["single_word"] as? Bool ?? false), !(a["lstrip"] as? Bool ?? false), !(a["rstrip"] as? Bool ?? false)
            else { return nil }
            seen.insert(content)
        }
        let bert = PostTemplate(single: [.special([vocab.cls], type: 0), .a(type: 0), .special([vocab.sep], type: 0)],
                                pair: [.special([vocab.cls], type: 0), .a(type: 0), .special([vocab.sep], type: 0),
                                       .b(type: 1), .special([vocab.sep], type: 1)])
        guard seen.count == 5, try PostTemplate.parse(o["post_processor"], source: source) == bert else { return nil }
        return vocab
    }

    struct Roles {
        var cls: String?, sep: String?, pad: String?, unk: String?, mask: String?
        var addPrefixSpace: Bool?
    }

    /// The special tokens tokenizer_config.json and special_tokens_map.json name (the latter wins).
    static func configuredRoles(_ folder: URL) -> Roles {
        var r = Roles()
        for name in [TokenizerFiles.config, TokenizerFiles.specialsMap] {
            guard let o = try? TokenizerJSON.object(folder.appendingPathComponent(name)) else { continue }
            func token(_ key: String) -> String? {
                if let s = o[key] as? String { return s }
                return (o[key] as? [String: Any])?["content"] as? String
            }
            r.cls = token("cls_token") ?? r.cls
            r.sep = token("sep_token") ?? r.sep
            r.pad = token("pad_token") ?? r.pad
            r.unk = token("unk_token") ?? r.unk
            r.mask = token("mask_token") ?? r.mask
            r.addPrefixSpace = o["add_prefix_space"] as? Bool ?? r.addPrefixSpace
        }
        return r
    }
}
