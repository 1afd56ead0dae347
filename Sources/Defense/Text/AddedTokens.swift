import Foundation

/// The added tokens of a tokenizer.json (special and not), found in the text before the model
/// sees it, as `tokenizers`' AddedVocabulary does: the non-normalized ones in the raw text, then
/// the normalized ones (their content normalized too) in each normalized remainder; leftmost
/// match first, the longest at one place; `single_word` needs no word character on either side,
/// `lstrip`/`rstrip` take the whitespace beside the match into the token.
struct AddedTokens: Sendable {
    struct Entry: Sendable {
        let pattern: TokenKey
        let id: Int32
        let singleWord: Bool, lstrip: Bool, rstrip: Bool
    }
    let raw: [Entry]
    let normalized: [Entry]

    /// Cuts `text` into spans, each either plain text or one added token's id.
    static func split(_ text: String, _ entries: [Entry]) -> [(text: String, id: Int32?)] {
        if entries.isEmpty || text.isEmpty { return [(text, nil)] }
        let b = Array(text.utf8)
        var out: [(String, Int32?)] = []
        var emitted = 0          // bytes before this are in `out`
        var i = 0
        while i < b.count {
            var best: Entry? = nil
            for e in entries where e.pattern.count > (best?.pattern.count ?? 0) && i + e.pattern.count <= b.count {
                if b[i..<(i + e.pattern.count)].elementsEqual(e.pattern) { best = e }
            }
            guard let m = best else { i += 1; continue }
            var start = i, stop = i + m.pattern.count
            i = stop
            if m.singleWord && (endsWithWord(b[0..<start]) || startsWithWord(b[stop...])) { continue }
            if m.lstrip { start = max(leadingOfTrailingSpace(b[0..<start]), emitted) }
            if m.rstrip { stop = endOfLeadingSpace(b, from: stop) }
            if emitted < start { out.append((decode(b[emitted..<start]), nil)) }
            out.append((decode(b[start..<stop]), m.id))
            emitted = stop
            i = stop
        }
        if emitted < b.count { out.append((decode(b[emitted...]), nil)) }
        return out
    }

    private static func decode(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }

    /// Rust regex's Unicode \w: alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isWord(_ c: Unicode.Scalar) -> Bool {
        let p = c.properties
        if p.isAlphabetic || c.value == 0x200C || c.value == 0x200D { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    private static func endsWithWord(_ s: ArraySlice<UInt8>) -> Bool {
        decode(s).unicodeScalars.last.map(isWord) ?? false
    }

    private static func startsWithWord(_ s: ArraySlice<UInt8>) -> Bool {
        decode(s).unicodeScalars.first.map(isWord) ?? false
    }

    /// The byte offset where the whitespace run ending `s` begins.
    private static func leadingOfTrailingSpace(_ s: ArraySlice<UInt8>) -> Int {
        var end = s.endIndex
        let scalars = decode(s).unicodeScalars
        for c in scalars.reversed() {
            guard c.properties.isWhitespace else { break }
            end -= String(c).utf8.count
        }
        return end
    }

    /// The byte offset just past the whitespace run starting at `from`.
    private static func endOfLeadingSpace(_ b: [UInt8], from: Int) -> Int {
        var stop = from
        for c in decode(b[from...]).unicodeScalars {
            guard c.properties.isWhitespace else { break }
            stop += String(c).utf8.count
        }
        return stop
    }
}
