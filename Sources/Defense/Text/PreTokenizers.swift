import Foundation

/// A piece of normalized text on its way to the model. `atStart` says it begins at offset 0 of the
/// original text (Metaspace's "first" scheme prepends only there).
struct TextPiece {
    var text: String
    var atStart: Bool
}

/// The pre-tokenizers of `tokenizers` that finemix implements: each cuts pieces into smaller ones.
indirect enum PreTokenizer: Sendable {
    case bert
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case metaspace(replacement: Unicode.Scalar, prepend: PrependScheme, split: Bool)
    case whitespace, whitespaceSplit
    case punctuation(SplitBehavior)
    case split(TextPattern, SplitBehavior, invert: Bool)
    case digits(individual: Bool)
    case sequence([PreTokenizer])

    enum PrependScheme: String, Sendable { case always, first, never }

    /// GPT-2's split, as `tokenizers`' ByteLevel runs it.
    static let byteLevelRegex = try! SharedRegex(
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#, source: "ByteLevel")
    static let whitespaceRegex = try! SharedRegex(#"\w+|[^\w\s]+"#, source: "Whitespace")

    func apply(_ pieces: [TextPiece]) -> [TextPiece] {
        pieces.flatMap { cut($0) }.filter { !$0.text.isEmpty }
    }

    /// The pieces of `p`; each keeps `atStart` only when it begins where `p` begins (Rust's
    /// offsets_original().0 == 0).
    private func cut(_ p: TextPiece) -> [TextPiece] {
        let s = p.text
        func pieces(_ t: String, _ rs: [Range<String.Index>], map: (String) -> String = { $0 }) -> [TextPiece] {
            rs.map { TextPiece(text: map(String(t[$0])), atStart: p.atStart && $0.lowerBound == t.startIndex) }
        }
        switch self {
        case .bert:
            var out: [TextPiece] = []
            let scalars = Array(s.unicodeScalars)
            scalars.withUnsafeBufferPointer { buf in
                BasicTokenizer.forEachWord(buf) { r in
                    out.append(TextPiece(text: TextNormalizer.string(Array(buf[r])), atStart: p.atStart && r.lowerBound == 0))
                }
            }
            return out
        case let .byteLevel(addPrefixSpace, useRegex):
            var t = s
            if addPrefixSpace && t.unicodeScalars.first != " " { t = " " + t }
            let rs = useRegex ? SplitBehavior.isolated.ranges(t, Self.byteLevelRegex.matches(in: t)) : [t.startIndex..<t.endIndex]
            return pieces(t, rs, map: ByteLevelAlphabet.encode)
        case let .metaspace(replacement, prepend, split):
            var u = String.UnicodeScalarView()
            for c in s.unicodeScalars { u.append(c == " " ? replacement : c) }
            if u.first != replacement && (prepend == .always || (prepend == .first && p.atStart)) { u.insert(replacement, at: u.startIndex) }
            let t = String(u)
            guard split else { return [TextPiece(text: t, atStart: p.atStart)] }
            return pieces(t, SplitBehavior.mergedWithNext.ranges(t, Self.scalarMatches(t) { $0 == replacement }))
        case .whitespace:
            return pieces(s, Self.whitespaceRegex.matches(in: s))
        case .whitespaceSplit:
            return pieces(s, SplitBehavior.removed.ranges(s, Self.scalarMatches(s) { $0.properties.isWhitespace }))
        case .punctuation(let b):
            return pieces(s, b.ranges(s, Self.scalarMatches(s, BasicTokenizer.isPunctuation)))
        case let .split(pattern, b, invert):
            return pieces(s, b.ranges(s, pattern.matches(in: s), invert: invert))
        case .digits(let individual):
            // Rust's char::is_numeric: the number categories (not every code point with a numeric value)
            let m = Self.scalarMatches(s) {
                [.decimalNumber, .letterNumber, .otherNumber].contains($0.properties.generalCategory)
            }
            return pieces(s, (individual ? SplitBehavior.isolated : .contiguous).ranges(s, m))
        case .sequence(let steps):
            return steps.reduce([p]) { $1.apply($0) }
        }
    }

    /// One match per code point that satisfies `test` (a char pattern in `tokenizers`).
    static func scalarMatches(_ s: String, _ test: (Unicode.Scalar) -> Bool) -> [Range<String.Index>] {
        var out: [Range<String.Index>] = []
        let u = s.unicodeScalars
        var i = u.startIndex
        while i < u.endIndex {
            let next = u.index(after: i)
            if test(u[i]) { out.append(i..<next) }
            i = next
        }
        return out
    }

    // MARK: tokenizer.json

    static func parse(_ json: Any?, source: String) throws -> PreTokenizer? {
        guard let o = json as? [String: Any] else { return nil }
        let type = o["type"] as? String ?? "?"
        switch type {
        case "BertPreTokenizer": return .bert
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: o["add_prefix_space"] as? Bool ?? true, useRegex: o["use_regex"] as? Bool ?? true)
        case "Metaspace":
            let rep = (o["replacement"] as? String).flatMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first : nil } ?? "\u{2581}"
            var scheme = PrependScheme.always
            if let s = o["prepend_scheme"] as? String {
                guard let v = PrependScheme(rawValue: s) else {
                    throw FinemixError("\(source): Metaspace prepend_scheme '\(s)' is not one of always, first, never")
                }
                scheme = v
            } else if let add = o["add_prefix_space"] as? Bool {
                scheme = add ? .always : .never
            }
            return .metaspace(replacement: rep, prepend: scheme, split: o["split"] as? Bool ?? true)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Punctuation":
            return .punctuation(try SplitBehavior.parse(o["behavior"], source: source, component: "Punctuation", default: .isolated))
        case "Split":
            return .split(try TextPattern.parse(o["pattern"], source: source, component: "the Split pre-tokenizer"),
                          try SplitBehavior.parse(o["behavior"], source: source, component: "Split", default: .removed),
                          invert: o["invert"] as? Bool ?? false)
        case "Digits": return .digits(individual: o["individual_digits"] as? Bool ?? false)
        case "Sequence":
            return .sequence(try (o["pretokenizers"] as? [Any] ?? []).compactMap { try parse($0, source: source) })
        default:
            throw TokenizerJSON.unsupported("pre-tokenizer", type, source: source,
                                            supported: "BertPreTokenizer, ByteLevel, Metaspace, Whitespace, WhitespaceSplit, Punctuation, Split, Digits, Sequence")
        }
    }
}

/// GPT-2's byte-to-character table: every byte becomes a printable character, so byte-level BPE
/// tokens are plain strings ("Ġ" is the byte 0x20).
enum ByteLevelAlphabet {
    static let table: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var chars = printable
        var n = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            chars.append(256 + n)
            n += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(printable, chars) { table[b] = Character(Unicode.Scalar(UInt32(c))!) }
        return table
    }()

    static func encode(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.utf8.count)
        for b in s.utf8 { out.unicodeScalars.append(table[Int(b)].unicodeScalars.first!) }
        return out
    }
}
