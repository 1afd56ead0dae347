import Foundation

/// The normalizers of `tokenizers` that finemix implements, applied code point by code point as
/// the Rust library does (never on Swift Characters).
indirect enum TextNormalizer: Sendable {
    case bert(clean: Bool, chinese: Bool, stripAccents: Bool, lowercase: Bool)
    case nfc, nfd, nfkc, nfkd, lowercase, stripAccents, nmt
    case strip(left: Bool, right: Bool)
    case replace(TextPattern, String)
    case prepend(String)
    case precompiled(PrecompiledCharsMap)
    case sequence([TextNormalizer])

    func apply(_ s: String) -> String {
        switch self {
        case let .bert(clean, chinese, strip, lower):
            if clean && chinese && strip && lower {
                // BERT uncased: the tuned path the vocab.txt tokenizer runs.
                var out: [Unicode.Scalar] = []
                BasicTokenizer.normalize(s.unicodeScalars, into: &out)
                return Self.string(out)
            }
            var out: [Unicode.Scalar] = []
            for c in s.unicodeScalars {
                if clean {
                    if c.value == 0 || c.value == 0xFFFD || Self.isControl(c) { continue }
                    if BasicTokenizer.isWhitespace(c) { out.append(" "); continue }
                }
                if chinese && BasicTokenizer.isCJK(c.value) { out += [" ", c, " "]; continue }
                out.append(c)
            }
            var t = Self.string(out)
            if strip {
                t = String(String.UnicodeScalarView(BasicTokenizer.nfd(t.unicodeScalars)
                    .filter { $0.properties.generalCategory != .nonspacingMark }))
            }
            return lower ? Self.lower(t) : t
        case .nfc: return s.precomposedStringWithCanonicalMapping
        case .nfd: return String(BasicTokenizer.nfd(s.unicodeScalars))
        case .nfkc: return s.precomposedStringWithCompatibilityMapping
        case .nfkd: return s.decomposedStringWithCompatibilityMapping
        case .lowercase: return Self.lower(s)
        case .stripAccents:
            // Marks by the probed table where it knows them (its Unicode is older than Swift's:
            // a nonspacing mark added later is kept, as `tokenizers` keeps it).
            return String(String.UnicodeScalarView(s.unicodeScalars.filter { c in
                switch c.properties.generalCategory {
                case .spacingMark, .enclosingMark: return false
                case .nonspacingMark: return BasicTokenizer.kind(c.value) != .drop
                default: return true
                }
            }))
        case .nmt:
            var out = String.UnicodeScalarView()
            for c in s.unicodeScalars {
                switch c.value {
                case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: continue
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD:
                    out.append(" ")
                default: out.append(c)
                }
            }
            return String(out)
        case let .strip(left, right):
            var v = Array(s.unicodeScalars)
            if right { while let l = v.last, l.properties.isWhitespace { v.removeLast() } }
            if left { let k = v.prefix { $0.properties.isWhitespace }.count; v.removeFirst(k) }
            return Self.string(v)
        case let .replace(pattern, content):
            var out = ""
            var cursor = s.startIndex
            for m in pattern.matches(in: s) {
                out += s[cursor..<m.lowerBound]
                out += content
                cursor = m.upperBound
            }
            out += s[cursor...]
            return out
        case .prepend(let p):
            return s.isEmpty ? s : p + s
        case .precompiled(let map):
            return map.apply(s)
        case .sequence(let steps):
            return steps.reduce(s) { $1.apply($0) }
        }
    }

    /// Rust's `char::to_lowercase` on each code point (a final capital sigma becomes σ).
    static func lower(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if c.value < 0x80 {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 0x20)! : c)
            } else if c.properties.changesWhenLowercased {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    /// `tokenizers`' is_control (tab, newline and carriage return excepted): the probed table's
    /// dropped class less the nonspacing marks it holds for accent stripping. Not Swift's
    /// categories: `tokenizers` keeps unassigned code points, and its Unicode is older.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return BasicTokenizer.isDropped(c) }
        return BasicTokenizer.kind(c.value) == .drop && c.properties.generalCategory != .nonspacingMark
    }

    static func string(_ v: [Unicode.Scalar]) -> String {
        var u = String.UnicodeScalarView()
        u.append(contentsOf: v)
        return String(u)
    }

    // MARK: tokenizer.json

    static func parse(_ json: Any?, source: String) throws -> TextNormalizer? {
        guard let o = json as? [String: Any] else { return nil }
        let type = o["type"] as? String ?? "?"
        switch type {
        case "BertNormalizer":
            let lower = o["lowercase"] as? Bool ?? true
            return .bert(clean: o["clean_text"] as? Bool ?? true, chinese: o["handle_chinese_chars"] as? Bool ?? true,
                         stripAccents: o["strip_accents"] as? Bool ?? lower, lowercase: lower)
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Nmt": return .nmt
        case "Strip": return .strip(left: o["strip_left"] as? Bool ?? true, right: o["strip_right"] as? Bool ?? true)
        case "Replace":
            return .replace(try TextPattern.parse(o["pattern"], source: source, component: "the Replace normalizer"),
                            o["content"] as? String ?? "")
        case "Prepend": return .prepend(o["prepend"] as? String ?? "")
        case "Precompiled": return .precompiled(try PrecompiledCharsMap(base64: o["precompiled_charsmap"] as? String, source: source))
        case "Sequence":
            let steps = try (o["normalizers"] as? [Any] ?? []).compactMap { try parse($0, source: source) }
            return .sequence(steps)
        default:
            throw TokenizerJSON.unsupported("normalizer", type, source: source,
                                            supported: "BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Replace, Prepend, Nmt, Precompiled, Sequence")
        }
    }
}
