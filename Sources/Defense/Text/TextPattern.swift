import Foundation

/// An ICU regular expression compiled once. NSRegularExpression is immutable and documented as
/// safe to share between threads, which Swift cannot see.
public final class SharedRegex: @unchecked Sendable {
    let regex: NSRegularExpression

    init(_ pattern: String, source: String) throws {
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw FinemixError("\(source): the regular expression '\(pattern)' does not compile")
        }
    }

    /// The non-empty matches in `s`, in order, as ranges of `s`. The UTF-16 offsets are turned
    /// into indices by hand: Foundation's Range(_:in:) refuses a bound inside a grapheme cluster
    /// ("⇢" + a combining mark), and the regex works on code points.
    func matches(in s: String) -> [Range<String.Index>] {
        let u = s.utf16
        var out: [Range<String.Index>] = []
        var cursor = u.startIndex, offset = 0
        for m in regex.matches(in: s, range: NSRange(location: 0, length: u.count)) where m.range.length > 0 {
            let lo = u.index(cursor, offsetBy: m.range.location - offset)
            let hi = u.index(lo, offsetBy: m.range.length)
            out.append(lo..<hi)
            cursor = hi; offset = m.range.location + m.range.length
        }
        return out
    }
}

/// What a `Replace` normalizer or a `Split` pre-tokenizer looks for: a literal string or a regex.
enum TextPattern: Sendable {
    case string(String)
    case regex(SharedRegex)

    /// Reads `{"String": s}` or `{"Regex": r}`.
    static func parse(_ json: Any?, source: String, component: String) throws -> TextPattern {
        guard let o = json as? [String: Any] else {
            throw FinemixError("\(source): \(component) has no pattern")
        }
        if let s = o["String"] as? String { return .string(s) }
        if let r = o["Regex"] as? String { return .regex(try SharedRegex(r, source: source)) }
        throw FinemixError("\(source): \(component) pattern must be {\"String\": ...} or {\"Regex\": ...}")
    }

    /// Non-overlapping, non-empty matches, leftmost first.
    func matches(in s: String) -> [Range<String.Index>] {
        switch self {
        case .regex(let r): return r.matches(in: s)
        case .string(let p):
            guard !p.isEmpty else { return [] }
            var out: [Range<String.Index>] = []
            var from = s.startIndex
            // Compare scalars, not Characters: "e" must not match inside "é" spelled e + U+0301
            // by grapheme rules, and must match it by code point as the Rust library does.
            let hay = s.unicodeScalars, needle = Array(p.unicodeScalars)
            while from < hay.endIndex {
                var i = from, k = 0
                while k < needle.count, i < hay.endIndex, hay[i] == needle[k] { i = hay.index(after: i); k += 1 }
                if k == needle.count {
                    out.append(from..<i)
                    from = i
                } else {
                    from = hay.index(after: from)
                }
            }
            return out
        }
    }
}

/// How a split keeps what matched (the `behavior` of `tokenizers`' Split, Punctuation, Digits).
enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    static func parse(_ json: Any?, source: String, component: String, default d: SplitBehavior) throws -> SplitBehavior {
        guard let s = json as? String else { return d }
        guard let b = SplitBehavior(rawValue: s) else {
            throw FinemixError("\(source): \(component) behavior '\(s)' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous")
        }
        return b
    }

    /// Cuts `s` at `matches` (ascending, non-overlapping) as `tokenizers`' NormalizedString.split
    /// does, dropping empty pieces. With `invert`, what lies between the matches is the delimiter.
    func split(_ s: String, _ matches: [Range<String.Index>], invert: Bool = false) -> [String] {
        ranges(s, matches, invert: invert).map { String(s[$0]) }
    }

    /// The pieces of `split` as ranges of `s`.
    func ranges(_ s: String, _ matches: [Range<String.Index>], invert: Bool = false) -> [Range<String.Index>] {
        // every span of s, in order, flagged whether it is a delimiter
        var spans: [(Range<String.Index>, Bool)] = []
        var cursor = s.startIndex
        for m in matches {
            if cursor < m.lowerBound { spans.append((cursor..<m.lowerBound, invert)) }
            spans.append((m, !invert))
            cursor = m.upperBound
        }
        if cursor < s.endIndex { spans.append((cursor..<s.endIndex, invert)) }
        var out: [Range<String.Index>] = []
        switch self {
        case .removed:
            out = spans.filter { !$0.1 }.map(\.0)
        case .isolated:
            out = spans.map(\.0)
        case .contiguous:
            var previousMatch = false
            for (r, isMatch) in spans {
                if isMatch && previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    out.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for (r, isMatch) in spans {
                if isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    out.append(r)
                }
                previousMatch = isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for (r, isMatch) in spans.reversed() {
                if isMatch && !previousMatch, let last = out.last {
                    out[out.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    out.append(r)
                }
                previousMatch = isMatch
            }
            out.reverse()
        }
        return out.filter { !$0.isEmpty }
    }
}
