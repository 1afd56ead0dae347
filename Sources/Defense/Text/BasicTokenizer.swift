import Foundation

/// The text clean-up and word split of HuggingFace's uncased BERT tokenizer (BertNormalizer +
/// BertPreTokenizer in `tokenizers`, BasicTokenizer in `transformers`). It works on Unicode
/// scalars, never Swift Characters: HF sees code points, and a grapheme cluster can hold several
/// (an accent mark, a zero-width joiner) that HF treats one by one.
public enum BasicTokenizer {
    /// Normalizes `text` and appends the result to `out`, in HF's order: drop NUL, U+FFFD and
    /// control/format characters; map whitespace to a space; put spaces around CJK ideographs; NFD
    /// and drop nonspacing marks (strip accents); lowercase one scalar at a time (as the Rust
    /// normalizer does, so a final capital sigma becomes σ, not ς).
    public static func normalize<S: Sequence<Unicode.Scalar>>(_ text: S, into out: inout [Unicode.Scalar]) {
        let start = out.count
        var nonASCII = false
        var needsDecomposition = false
        for c in text {
            let v = c.value
            if v < 0x80 {
                if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D { out.append(" "); continue }
                if v < 0x20 || v == 0x7F { continue }                  // ASCII controls (Cc)
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : c)
                continue
            }
            switch kind(v) {
            case .drop: continue
            case .whitespace: out.append(" "); continue
            case .cjk: out.append(" "); out.append(c); out.append(" ")
            case .other, .punctuation: out.append(c)
            }
            nonASCII = true
            // Below U+00C0 nothing has a canonical decomposition, so NFD can be skipped.
            if v >= 0xC0 { needsDecomposition = true }
        }
        guard nonASCII else { return }
        // The non-ASCII path: NFD, drop nonspacing marks, lowercase, on what the loop above kept.
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: out[start...])
        out.removeSubrange(start...)
        let decomposed = needsDecomposition ? nfd(kept) : kept
        for c in decomposed {
            let v = c.value
            if v < 0x80 {                                               // "Ç" decomposes to "C"
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : c)
                continue
            }
            if kind(v) == .drop { continue }
            let p = c.properties
            if p.changesWhenLowercased {
                out.append(contentsOf: p.lowercaseMapping.unicodeScalars)
            } else {
                out.append(c)
            }
        }
    }

    /// NFD as `tokenizers` applies it. Its normalization tables predate the one decomposition
    /// Unicode added later (U+11938 DIVES AKURU VOWEL SIGN O, since 13.0), so that scalar is kept
    /// whole; it is a starter, so decomposing the pieces around it apart changes nothing else.
    static func nfd(_ s: String.UnicodeScalarView) -> String.UnicodeScalarView {
        guard s.contains(where: { $0.value == 0x11938 }) else {
            return String(s).decomposedStringWithCanonicalMapping.unicodeScalars
        }
        var out = String.UnicodeScalarView()
        for (i, piece) in s.split(separator: "\u{11938}", omittingEmptySubsequences: false).enumerated() {
            if i > 0 { out.append("\u{11938}") }
            out.append(contentsOf: String(String.UnicodeScalarView(piece)).decomposedStringWithCanonicalMapping.unicodeScalars)
        }
        return out
    }

    /// Splits normalized scalars into words: whitespace separates, and every punctuation scalar is a
    /// word of its own. Calls `body` with each word's range in `text`.
    @inline(__always)
    public static func forEachWord(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ body: (Range<Int>) -> Void) {
        var wordStart = -1
        for i in 0..<text.count {
            let c = text[i]
            if c == " " || (c.value >= 0x80 && isWhitespace(c)) {
                if wordStart >= 0 { body(wordStart..<i); wordStart = -1 }
            } else if isPunctuation(c) {
                if wordStart >= 0 { body(wordStart..<i); wordStart = -1 }
                body(i..<(i + 1))
            } else if wordStart < 0 {
                wordStart = i
            }
        }
        if wordStart >= 0 { body(wordStart..<text.count) }
    }

    /// Normalized words of `text`, for display and tests.
    public static func words(_ text: String) -> [String] {
        var scalars: [Unicode.Scalar] = []
        normalize(text.unicodeScalars, into: &scalars)
        var result: [String] = []
        scalars.withUnsafeBufferPointer { buf in
            forEachWord(buf) { r in
                var s = String.UnicodeScalarView()
                s.append(contentsOf: buf[r])
                result.append(String(s))
            }
        }
        return result
    }

    // MARK: character classes, as HF `tokenizers` sees them

    /// What the normalizer and pre-tokenizer do with one code point.
    public enum Kind: UInt8, Sendable {
        case other = 0, drop = 1, whitespace = 2, cjk = 3, punctuation = 4
    }

    /// The class of a code point from U+0080 up (ASCII is handled inline by the callers). It comes
    /// from a table probed out of `tokenizers` itself (scripts/gen_unicode_classes.py), not from
    /// Swift's Unicode data: `tokenizers` uses an older Unicode table for control, mark and
    /// punctuation categories, keeps unassigned code points, and starts CJK Extension E at U+2B920
    /// where the legacy Python tokenizer starts it at U+2B820.
    @inline(__always)
    public static func kind(_ v: UInt32) -> Kind {
        classStarts.withUnsafeBufferPointer { starts in
            // the last run whose start is <= v
            var lo = 0, hi = starts.count
            while hi - lo > 1 {
                let mid = (lo + hi) >> 1
                if starts[mid] <= v { lo = mid } else { hi = mid }
            }
            return Kind(rawValue: classKinds[lo])!
        }
    }

    /// HF whitespace: space, \t, \n, \r and the Unicode space separators.
    @inline(__always)
    public static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D }
        return kind(v) == .whitespace
    }

    /// HF clean-up and accent stripping remove it: NUL, U+FFFD, control and format characters
    /// (not \t \n \r), private use, nonspacing marks.
    @inline(__always)
    public static func isDropped(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F }
        return kind(v) == .drop
    }

    /// HF punctuation: every non-alphanumeric printable ASCII symbol ($, ^, `, + ...) and the
    /// Unicode punctuation categories.
    @inline(__always)
    public static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 {
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        return kind(v) == .punctuation
    }

    /// HF `_is_chinese_char`: the CJK Unified Ideographs blocks and compatibility ideographs (not
    /// Hangul, Hiragana or Katakana).
    @inline(__always)
    public static func isCJK(_ v: UInt32) -> Bool {
        v >= 0x80 && kind(v) == .cjk
    }
}
