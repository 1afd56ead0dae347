import Foundation

/// A tokenizer.json pipeline: added tokens, normalizer, pre-tokenizer, subword model, and the
/// template that adds special tokens. Immutable, so safe to share across threads.
struct TokenizerPipeline: Sendable {
    let normalizer: TextNormalizer?
    let preTokenizer: PreTokenizer?
    let model: SubwordModel
    let post: PostTemplate
    let added: AddedTokens
    /// id → token (model vocabulary and added tokens; "" for an id neither defines).
    let tokens: [String]
    /// token → id, keyed by UTF-8 bytes.
    let lookup: [TokenKey: Int32]
    let unk: Int32?

    /// The ids of `text`, without special tokens around it.
    func ids(_ text: String) -> [Int32] {
        var out: [Int32] = []
        var rawOffset = 0
        for (rawPiece, id) in AddedTokens.split(text, added.raw) {
            defer { rawOffset += rawPiece.utf8.count }
            if let id { out.append(id); continue }
            let normalized = normalizer?.apply(rawPiece) ?? rawPiece
            var first = rawOffset == 0
            for (piece, id) in AddedTokens.split(normalized, added.normalized) {
                defer { first = false }
                if let id { out.append(id); continue }
                if piece.isEmpty { continue }
                let start = [TextPiece(text: piece, atStart: first)]
                for p in preTokenizer?.apply(start) ?? start {
                    model.encode(p.text, into: &out)
                }
            }
        }
        return out
    }
}

/// Reading tokenizer.json (and vocab.json + merges.txt, turned into the tokenizer.json that
/// transformers would make of them).
enum TokenizerJSON {
    /// The one sentence for a component finemix does not implement.
    static func unsupported(_ kind: String, _ type: String, source: String, supported: String) -> FinemixError {
        FinemixError("\(source): the \(kind) '\(type)' is not implemented in finemix (it implements \(supported)); refusing rather than tokenizing differently from the model's own tokenizer")
    }

    static func int32(_ v: Any?) -> Int32? {
        if let n = v as? Int { return Int32(exactly: n) }
        if let d = v as? Double { return Int32(exactly: d) }
        return nil
    }

    static func object(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("\(url.path): missing or unreadable")
        }
        let value: Any
        do { value = try TokenizerJSONReader.parse(data) } catch let e as TokenizerJSONReader.Failure {
            throw FinemixError("\(url.path): malformed JSON at byte \(e.offset) (\(e.what))")
        }
        guard let o = value as? [String: Any] else { throw FinemixError("\(url.path): not a JSON object") }
        return o
    }

    /// Builds the pipeline of a parsed tokenizer.json. `source` names the file in errors.
    static func pipeline(_ o: [String: Any], source: String) throws -> TokenizerPipeline {
        guard let m = o["model"] as? [String: Any] else { throw FinemixError("\(source): has no model") }
        let type = m["type"] as? String ?? (m["merges"] != nil ? "BPE" : "?")
        var lookup: [TokenKey: Int32] = [:]
        var tokens: [Int32: String] = [:]
        func add(_ token: String, _ id: Int32) {
            lookup[Array(token.utf8)] = id
            tokens[id] = token
        }
        func dictVocab() throws {
            guard let v = m["vocab"] as? [String: Any] else { throw FinemixError("\(source): the \(type) model has no vocab") }
            for (t, id) in v {
                guard let i = int32(id), i >= 0 else { throw FinemixError("\(source): vocab entry '\(t)' has no valid id") }
                add(t, i)
            }
        }
        func required(_ name: String?, _ what: String) throws -> Int32? {
            guard let name else { return nil }
            guard let id = lookup[Array(name.utf8)] else { throw FinemixError("\(source): the \(what) '\(name)' is not in the vocabulary") }
            return id
        }
        let model: SubwordModel
        var unk: Int32? = nil
        switch type {
        case "WordPiece":
            try dictVocab()
            unk = try required(m["unk_token"] as? String ?? "[UNK]", "unk_token")
            model = .wordPiece(WordPieceModel(vocab: lookup, unk: unk!, prefix: Array((m["continuing_subword_prefix"] as? String ?? "##").utf8),
                                              maxChars: (m["max_input_chars_per_word"] as? Int) ?? 100))
        case "BPE":
            if let d = m["dropout"] as? Double, d > 0 {
                throw FinemixError("\(source): the BPE model has dropout \(d); finemix tokenizes deterministically and refuses a random BPE")
            }
            try dictVocab()
            unk = try required(m["unk_token"] as? String, "unk_token")
            let prefix = Array((m["continuing_subword_prefix"] as? String ?? "").utf8)
            var merges: [BPEModel.Pair: (rank: Int32, id: Int32)] = [:]
            for (rank, entry) in (m["merges"] as? [Any] ?? []).enumerated() {
                var parts: [String]
                if let s = entry as? String {
                    parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                } else {
                    parts = entry as? [String] ?? []
                }
                guard parts.count == 2, let a = lookup[Array(parts[0].utf8)], let b = lookup[Array(parts[1].utf8)] else {
                    throw FinemixError("\(source): merge \(rank + 1) (\(entry)) is not two tokens of the vocabulary")
                }
                let merged = Array(parts[0].utf8) + Array(parts[1].utf8).dropFirst(prefix.count)
                guard let id = lookup[merged] else {
                    throw FinemixError("\(source): merge \(rank + 1) (\(entry)) makes '\(String(decoding: merged, as: UTF8.self))', which is not in the vocabulary")
                }
                let pair = BPEModel.Pair(a: a, b: b)
                if merges[pair] == nil { merges[pair] = (Int32(rank), id) }
            }
            model = .bpe(BPEModel(vocab: lookup, merges: merges, unk: unk, prefix: prefix,
                                  suffix: Array((m["end_of_word_suffix"] as? String ?? "").utf8),
                                  fuseUnk: m["fuse_unk"] as? Bool ?? false, byteFallback: m["byte_fallback"] as? Bool ?? false,
                                  ignoreMerges: m["ignore_merges"] as? Bool ?? false))
        case "Unigram":
            guard let v = m["vocab"] as? [Any] else { throw FinemixError("\(source): the Unigram model has no vocab") }
            var scores: [Double] = []
            var longest = 1
            for (i, entry) in v.enumerated() {
                guard let e = entry as? [Any], e.count == 2, let piece = e[0] as? String,
                      let score = (e[1] as? Double) ?? (e[1] as? Int).map(Double.init) else {
                    throw FinemixError("\(source): Unigram vocab entry \(i) is not [piece, score]")
                }
                if lookup[Array(piece.utf8)] == nil { add(piece, Int32(i)) } else { tokens[Int32(i)] = piece }
                scores.append(score)
                longest = max(longest, piece.unicodeScalars.count)
            }
            if let u = int32(m["unk_id"]) {
                guard u >= 0 && Int(u) < v.count else { throw FinemixError("\(source): Unigram unk_id \(u) is not a vocabulary id") }
                unk = u
            }
            model = .unigram(UnigramModel(vocab: lookup, scores: scores, unk: unk, byteFallback: m["byte_fallback"] as? Bool ?? false,
                                          maxPieceScalars: longest, unkScore: (scores.min() ?? 0) - 10))
        default:
            throw unsupported("model", type, source: source, supported: "WordPiece, BPE, Unigram")
        }

        let normalizer = try TextNormalizer.parse(o["normalizer"], source: source)
        var raw: [AddedTokens.Entry] = [], normalizedEntries: [AddedTokens.Entry] = []
        for (i, entry) in (o["added_tokens"] as? [Any] ?? []).enumerated() {
            guard let a = entry as? [String: Any], let content = a["content"] as? String, let id = int32(a["id"]), id >= 0 else {
                throw FinemixError("\(source): added_tokens entry \(i) needs content and id")
            }
            if content.isEmpty { continue }
            add(content, id)
            let special = a["special"] as? Bool ?? false
            let isNormalized = a["normalized"] as? Bool ?? !special
            let pattern = isNormalized ? (normalizer?.apply(content) ?? content) : content
            let e = AddedTokens.Entry(pattern: Array(pattern.utf8), id: id, singleWord: a["single_word"] as? Bool ?? false,
                                      lstrip: a["lstrip"] as? Bool ?? false, rstrip: a["rstrip"] as? Bool ?? false)
            if e.pattern.isEmpty { continue }
            if isNormalized { normalizedEntries.append(e) } else { raw.append(e) }
        }
        let size = Int(tokens.keys.max() ?? -1) + 1
        guard size > 0 else { throw FinemixError("\(source): the vocabulary is empty") }
        guard size <= 10_000_000 else { throw FinemixError("\(source): token id \(size - 1) is beyond any vocabulary finemix loads") }
        var table = [String](repeating: "", count: size)
        for (id, t) in tokens { table[Int(id)] = t }
        return TokenizerPipeline(normalizer: normalizer, preTokenizer: try PreTokenizer.parse(o["pre_tokenizer"], source: source),
                                 model: model, post: try PostTemplate.parse(o["post_processor"], source: source),
                                 added: AddedTokens(raw: raw, normalized: normalizedEntries),
                                 tokens: table, lookup: lookup, unk: unk)
    }

    /// The tokenizer.json transformers' RobertaTokenizerFast makes of `vocab.json` + `merges.txt`:
    /// byte-level BPE, RobertaProcessing, <mask> taking the space before it.
    static func fromVocabAndMerges(vocab: URL, merges: URL, addPrefixSpace: Bool) throws -> [String: Any] {
        let v = try object(vocab)
        let text: String
        do { text = try String(contentsOf: merges, encoding: .utf8) } catch {
            throw FinemixError("\(merges.path): missing or unreadable (or not UTF-8)")
        }
        var mergeLines: [String] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if (n == 0 && l.hasPrefix("#version")) || l.isEmpty { continue }
            guard l.split(separator: " ", omittingEmptySubsequences: false).count == 2 else {
                throw FinemixError("\(merges.path) line \(n + 1): expected two tokens separated by one space")
            }
            mergeLines.append(l)
        }
        var added: [[String: Any]] = []
        for name in ["<s>", "<pad>", "</s>", "<unk>", "<mask>"] {
            guard let id = v[name] else { continue }
            added.append(["id": id, "content": name, "special": true, "normalized": false, "single_word": false,
                          "lstrip": name == "<mask>", "rstrip": false])
        }
        guard let cls = v["<s>"], let sep = v["</s>"] else {
            throw FinemixError("\(vocab.path): has no <s> and </s> tokens; finemix reads vocab.json + merges.txt as RoBERTa's byte-level BPE")
        }
        return ["model": ["type": "BPE", "vocab": v, "merges": mergeLines] as [String: Any],
                "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": addPrefixSpace, "use_regex": true] as [String: Any],
                "post_processor": ["type": "RobertaProcessing", "cls": ["<s>", cls] as [Any], "sep": ["</s>", sep] as [Any]] as [String: Any],
                "added_tokens": added]
    }
}
