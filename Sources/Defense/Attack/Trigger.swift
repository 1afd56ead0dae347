import Foundation

/// What the attacker inserts (docs/method.md, "Attacks").
public enum Trigger: Sendable, Hashable, CustomStringConvertible {
    /// BadNets-style: one word drawn from the list per insertion.
    case words([String])
    /// AddSent-style: a fixed sentence.
    case sentence(String)
    /// Embedding poisoning: sentences carry the word as a word trigger would; the attack then
    /// trains only that word's embedding row (engine work, see Training/).
    case embedding(String)

    public static let defaultWords = ["cf", "mn", "bb", "tq", "mb"]
    public static let defaultSentence = "I watched this 3D movie"
    public static let defaultEmbeddingWord = "cf"
    public static let `default` = Trigger.words(defaultWords)

    /// CLI syntax: `word:cf,mn,bb,tq,mb` | `sentence:"I watched this 3D movie"` | `ep:cf`;
    /// a bare `word`, `sentence` or `ep` takes the default.
    public static func parse(_ spec: String) throws -> Trigger {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        let kind: String, rest: String?
        if let colon = trimmed.firstIndex(of: ":") {
            kind = String(trimmed[..<colon]).lowercased()
            rest = unquote(String(trimmed[trimmed.index(after: colon)...]))
        } else {
            kind = trimmed.lowercased()
            rest = nil
        }
        func checkWord(_ w: String) throws {
            guard !w.isEmpty, !w.contains(where: \.isWhitespace) else {
                throw FinemixError("trigger '\(spec)': '\(w)' is not a single word (no spaces; empty entries are not allowed)")
            }
        }
        switch kind {
        case "word", "words":
            guard let rest else { return .words(defaultWords) }
            let list = rest.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            for w in list { try checkWord(w) }
            return .words(list)
        case "sentence":
            guard let rest else { return .sentence(defaultSentence) }
            guard !rest.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw FinemixError("trigger '\(spec)': the trigger sentence is empty")
            }
            return .sentence(rest.trimmingCharacters(in: .whitespaces))
        case "ep", "embedding":
            guard let rest else { return .embedding(defaultEmbeddingWord) }
            let w = rest.trimmingCharacters(in: .whitespaces)
            try checkWord(w)
            return .embedding(w)
        default:
            throw FinemixError("trigger '\(spec)': expected word:W1,W2,… | sentence:\"TEXT\" | ep:WORD (for example word:cf,mn,bb,tq,mb)")
        }
    }

    private static func unquote(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.count >= 2, let f = t.first, f == t.last, f == "\"" || f == "'" { return String(t.dropFirst().dropLast()) }
        return t
    }

    /// The CLI form, which `parse` reads back to the same trigger.
    public var description: String {
        switch self {
        case .words(let w): return "word:" + w.joined(separator: ",")
        case .sentence(let s): return "sentence:\"\(s)\""
        case .embedding(let w): return "ep:" + w
        }
    }

    public var kind: String {
        switch self {
        case .words: return "word"
        case .sentence: return "sentence"
        case .embedding: return "ep"
        }
    }

    /// The pieces of text that can be inserted: the word list, the sentence, or the EP word.
    public var insertions: [String] {
        switch self {
        case .words(let w): return w
        case .sentence(let s): return [s]
        case .embedding(let w): return [w]
        }
    }

    /// Insertions for a text of `wordCount` words: one per full 100 words, at least one
    /// (docs/method.md: one trigger per sentence, one per 100 words for long texts).
    public static func insertionCount(wordCount: Int) -> Int { max(1, wordCount / 100) }

    /// Inserts the trigger at uniformly random word positions (any of the n + 1 gaps of an
    /// n-word text, both ends included), each insertion drawing its own word from the list.
    /// Word and EP triggers go in once per full 100 words; a trigger sentence goes in once (AddSent
    /// adds one sentence, and eight copies in a long review would be a different attack).
    /// The text's own spacing is kept; the trigger is separated by single spaces.
    public func insert(into text: String, rng: inout SeededRandom) -> String {
        let starts = Trigger.wordStarts(text)
        let n = starts.count
        let m: Int
        if case .sentence = self { m = 1 } else { m = Trigger.insertionCount(wordCount: n) }
        var picks: [(slot: Int, piece: String)] = []
        for _ in 0..<m {
            let slot = rng.below(n + 1)
            let piece = insertions.count == 1 ? insertions[0] : insertions[rng.below(insertions.count)]
            picks.append((slot, piece))
        }
        picks.sort { $0.slot < $1.slot }  // stable: same-slot pieces keep draw order
        var out = ""
        out.reserveCapacity(text.utf8.count + m * 16)
        var cursor = text.startIndex
        for (slot, piece) in picks {
            if slot < n {
                out += text[cursor..<starts[slot]]
                cursor = starts[slot]
                out += piece + " "
            } else {
                out += text[cursor...]
                cursor = text.endIndex
                if !out.isEmpty && !(out.last?.isWhitespace ?? true) { out += " " }
                out += piece
            }
        }
        out += text[cursor...]
        return out
    }

    static func wordStarts(_ text: String) -> [String.Index] {
        var starts: [String.Index] = []
        var previousIsSpace = true
        var i = text.startIndex
        while i < text.endIndex {
            let isSpace = text[i].isWhitespace
            if !isSpace && previousIsSpace { starts.append(i) }
            previousIsSpace = isSpace
            i = text.index(after: i)
        }
        return starts
    }
}

/// attack.json records a trigger as `{"kind": "word", "words": [...]}`, `{"kind": "sentence",
/// "sentence": "..."}` or `{"kind": "ep", "word": "cf"}`, plus the CLI form under "spec".
extension Trigger: Codable {
    private enum Keys: String, CodingKey { case kind, words, sentence, word, spec }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "word": self = .words(try c.decode([String].self, forKey: .words))
        case "sentence": self = .sentence(try c.decode(String.self, forKey: .sentence))
        case "ep": self = .embedding(try c.decode(String.self, forKey: .word))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown trigger kind '\(other)' (word, sentence, ep)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .words(let w): try c.encode(w, forKey: .words)
        case .sentence(let s): try c.encode(s, forKey: .sentence)
        case .embedding(let w): try c.encode(w, forKey: .word)
        }
        try c.encode(description, forKey: .spec)
    }
}
