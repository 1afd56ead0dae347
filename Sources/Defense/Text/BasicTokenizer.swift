import Foundation

/// The text clean-up and word split of HuggingFace's uncased BERT tokenizer (BertNormalizer +
/// BertPreTokenizer in `tokenizers`, BasicTokenizer in `transformers`). It works on Unicode
/// scalars, never Swift Characters: HF sees code points, and a grapheme cluster can hold several
/// (an accent mark, a zero-width joiner) that HF treats one by one.
public enum BasicTokenizer {
    /// Normalizes `text` and appends the result to `out`, in HF's order: drop NUL, U+FFFD and
    /// control characters; map whitespace to a space; put spaces around CJK ideographs; NFD and drop
    /// nonspacing marks (strip accents); lowercase one scalar at a time (as the Rust normalizer does,
    /// so a final capital sigma becomes σ, not ς).
    public static func normalize<S: Sequence<Unicode.Scalar>>(_ text: S, into out: inout [Unicode.Scalar]) {
        let start = out.count
        var needsDecomposition = false
        for c in text {
            let v = c.value
            if v < 0x80 {
                if v == 0x20 || v == 0x09 || v == 0x0A || v == 0x0D { out.append(" "); continue }
                if v < 0x20 || v == 0x7F { continue }                  // ASCII controls (Cc)
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : c)
                continue
            }
            if v == 0xFFFD || isControl(c) { continue }
            if isWhitespace(c) { out.append(" "); continue }
            if isCJK(v) { out.append(" "); out.append(c); out.append(" "); continue }
            // Below U+00C0 nothing has a canonical decomposition, so NFD can be skipped.
            if v >= 0xC0 { needsDecomposition = true }
            out.append(c)
        }
        guard needsDecomposition || out[start...].contains(where: { $0.value >= 0x80 }) else { return }
        // The non-ASCII path: NFD, drop Mn, lowercase, on what the loop above kept.
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: out[start...])
        out.removeSubrange(start...)
        let decomposed = needsDecomposition
            ? String(kept).decomposedStringWithCanonicalMapping.unicodeScalars
            : kept
        for c in decomposed {
            let v = c.value
            if v < 0x80 {                                               // "Ç" decomposes to "C"
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : c)
                continue
            }
            let p = c.properties
            if p.generalCategory == .nonspacingMark { continue }
            if p.changesWhenLowercased {
                out.append(contentsOf: p.lowercaseMapping.unicodeScalars)
            } else {
                out.append(c)
            }
        }
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

    // MARK: character classes, as HF defines them

    /// HF `_is_whitespace` (space, \t, \n, \r, Zs). Line and paragraph separators (Zl, Zp) are
    /// counted too: the Rust normalizer maps them to a space and Python's `split()` splits on them,
    /// so either way they end a word.
    @inline(__always)
    public static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        case 0..<0x80: return false
        default:
            switch c.properties.generalCategory {
            case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }

    /// HF `_is_control`: Cc, Cf, Cs, Co except \t, \n, \r. Unassigned code points (Cn) are kept,
    /// as the `tokenizers` normalizer keeps them (the legacy Python one drops them).
    @inline(__always)
    public static func isControl(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0..<0x20, 0x7F: return true
        case 0x20..<0x7F: return false
        default:
            switch c.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse: return true
            default: return false
            }
        }
    }

    /// HF `_is_punctuation`: every non-alphanumeric printable ASCII symbol ($, ^, `, + ...) and any
    /// "P*" category.
    @inline(__always)
    public static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        if v < 0x80 { return false }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// HF `_is_chinese_char`: the CJK Unified Ideographs blocks and compatibility ideographs (not
    /// Hangul, Hiragana or Katakana). The ranges are those of `tokenizers`, whose Extension E range
    /// starts at U+2B920 (the legacy Python tokenizer starts it at U+2B820).
    @inline(__always)
    public static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
