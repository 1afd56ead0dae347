import Foundation

/// sentencepiece's precompiled character map: the `Precompiled` normalizer of the tokenizer.json
/// files transformers writes for XLM-R, ALBERT, T5, mBART (`precompiled_charsmap`, base64), which
/// rewrites full-width forms, ligatures, odd spaces and the like before the Unigram model runs.
///
/// Layout (little-endian), as sentencepiece's normalizer builder writes it:
///
///     u32 trieBytes | trie: trieBytes/4 darts-clone double-array units | replacements
///
/// The trie's keys are UTF-8 byte strings; a key's value is the byte offset of its replacement
/// in `replacements`, a run of NUL-terminated UTF-8 strings.
///
/// Applied as `tokenizers` applies it, which is not how sentencepiece itself does: text is cut
/// into extended grapheme clusters; a cluster of under 6 bytes that has a prefix among the keys
/// is replaced WHOLE by the replacement of its SHORTEST such prefix (the trie's first hit);
/// otherwise each code point of the cluster is looked up alone and replaced, or kept. The
/// library's comment on this reads "Yes, this seems broken"; its ids are what finemix must equal.
struct PrecompiledCharsMap: Sendable {
    /// darts-clone units: bit 8 has-leaf, bits 0-7 and 31 the label, bits 10-31 the offset
    /// (shifted left by 8 when bit 9 is set); a leaf unit's low 31 bits are the value.
    let units: [UInt32]
    let replacements: [UInt8]

    init(base64: String?, source: String) throws {
        let what = "\(source): the Precompiled normalizer's precompiled_charsmap"
        guard let base64, let data = Data(base64Encoded: base64) else {
            throw FinemixError("\(what) is missing or not base64")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw FinemixError("\(what) is \(bytes.count) bytes, too short to hold its trie size") }
        let trieBytes = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= bytes.count else {
            throw FinemixError("\(what) declares a trie of \(trieBytes) bytes in \(bytes.count - 4); it is truncated or malformed")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for i in units.indices {
            let o = 4 + 4 * i
            units[i] = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        let rest = Array(bytes[(4 + trieBytes)...])
        // `tokenizers` refuses the map unless the replacements are UTF-8 as a whole.
        guard String(validating: rest, as: UTF8.self) != nil else {
            throw FinemixError("\(what) holds replacements that are not UTF-8")
        }
        self.units = units
        self.replacements = rest
    }

    /// The replacement of the shortest key that prefixes `key`; nil when none does. A unit or
    /// offset outside the map (a damaged file) is no match, never a crash.
    func replacement<C: Collection<UInt8>>(_ key: C) -> Substring.UnicodeScalarView? {
        guard let root = units.first else { return nil }
        var pos = Self.offset(root)
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos < units.count else { return nil }
            let unit = units[pos]
            guard unit & (0x8000_0000 | 0xFF) == UInt32(c) else { return nil }
            pos ^= Self.offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard pos < units.count else { return nil }
                let start = Int(units[pos] & 0x7FFF_FFFF)
                guard start <= replacements.count else { return nil }
                let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
                // Cut inside a character by a damaged offset: decoded with U+FFFD, as no match would be wrong too.
                return Substring(String(decoding: replacements[start..<end], as: UTF8.self)).unicodeScalars
            }
        }
        return nil
    }

    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    func apply(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for g in s {
            if g.utf8.count < 6, let r = replacement(g.utf8) {
                out.append(contentsOf: r)
                continue
            }
            for c in g.unicodeScalars {
                if let r = replacement(String(c).utf8) { out.append(contentsOf: r) } else { out.append(c) }
            }
        }
        return String(out)
    }
}
