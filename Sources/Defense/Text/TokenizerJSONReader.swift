import Foundation

/// A JSON reader for tokenizer files. Foundation's JSONSerialization takes a quarter of a second
/// on a 30k-token tokenizer.json on Linux (more than tokenizing ten thousand sentences) and rounds
/// some doubles in the last bit (Unigram scores that tie then break the other way); this one reads
/// numbers with Swift's correctly rounded Double(String) and strings without a detour through NSString.
/// Values: [String: Any], [Any], String, Int (integers that fit), Double, Bool, NSNull.
struct TokenizerJSONReader {
    struct Failure: Error { let offset: Int; let what: String }

    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    /// Parses one JSON document. Nesting deeper than 256 levels is refused (no tokenizer file
    /// comes near it; a hostile one would otherwise exhaust the stack).
    static func parse(_ data: Data) throws -> Any {
        try data.withUnsafeBytes { raw in
            var r = TokenizerJSONReader(b: raw.bindMemory(to: UInt8.self))
            r.skipSpace()
            let v = try r.value()
            r.skipSpace()
            guard r.i == r.b.count else { throw Failure(offset: r.i, what: "text after the JSON value") }
            return v
        }
    }

    private init(b: UnsafeBufferPointer<UInt8>) { self.b = b }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        guard i < b.count, b[i] == c else { throw Failure(offset: i, what: "expected '\(Character(Unicode.Scalar(c)))'") }
        i += 1
    }

    private mutating func value() throws -> Any {
        guard i < b.count else { throw Failure(offset: i, what: "unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 256 else { throw Failure(offset: i, what: "nesting deeper than 256 levels") }
            i += 1
            var o: [String: Any] = [:]
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return o }
            while true {
                skipSpace()
                let k = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                o[k] = try value()
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return o
            }
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 256 else { throw Failure(offset: i, what: "nesting deeper than 256 levels") }
            i += 1
            var a: [Any] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return a }
            while true {
                skipSpace()
                a.append(try value())
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return a
            }
        case UInt8(ascii: "\""):
            return try string()
        case UInt8(ascii: "t"): try word("true"); return true
        case UInt8(ascii: "f"): try word("false"); return false
        case UInt8(ascii: "n"): try word("null"); return NSNull()
        default:
            return try number()
        }
    }

    private mutating func word(_ w: String) throws {
        for c in w.utf8 { try expect(c) }
    }

    private mutating func number() throws -> Any {
        let start = i
        var integral = true
        while i < b.count {
            let c = b[i]
            if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { i += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { integral = false; i += 1; continue }
            break
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if integral, let n = Int(text) { return n }
        guard !text.isEmpty, let d = Double(text), d.isFinite else { throw Failure(offset: start, what: "not a JSON value") }
        return d
    }

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = i
        // the common case: no escapes
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < b.count else { throw Failure(offset: start, what: "unterminated string") }
        if b[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        }
        var bytes = Array(b[start..<i])
        while true {
            guard i < b.count else { throw Failure(offset: start, what: "unterminated string") }
            let c = b[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: bytes, as: UTF8.self) }
            if c != UInt8(ascii: "\\") { bytes.append(c); continue }
            guard i < b.count else { throw Failure(offset: i, what: "unterminated string") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var u = try hex4()
                if (0xD800..<0xDC00).contains(u), i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save
                    }
                }
                bytes.append(contentsOf: String(Unicode.Scalar(u) ?? "\u{FFFD}").utf8)
            default:
                throw Failure(offset: i - 1, what: "unknown escape")
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count else { throw Failure(offset: i, what: "short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw Failure(offset: i, what: "bad \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
