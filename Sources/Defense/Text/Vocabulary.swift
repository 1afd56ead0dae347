import Foundation

/// A WordPiece vocabulary: one token per line of `vocab.txt`, its id the zero-based line index
/// (as HuggingFace's `load_vocab` assigns them). Lookups hash UTF-8 bytes directly so the
/// tokenizer never builds a `String` per candidate piece.
public struct Vocabulary: Sendable {
    /// id → token, for display.
    public let tokens: [String]
    public let pad: Int32, unk: Int32, cls: Int32, sep: Int32, mask: Int32

    private let bytes: [UInt8]      // every token's UTF-8, concatenated
    private let offsets: [Int32]    // [tokens.count + 1]; token i is bytes[offsets[i]..<offsets[i+1]]
    private let slots: [Int32]      // open addressing, power-of-two size, -1 = empty
    private let slotMask: Int

    public var count: Int { tokens.count }

    /// Reads `vocab.txt`. Errors name the file and, for bad content, the line.
    public init(url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("cannot read vocabulary \(url.path): file missing or unreadable")
        }
        if data.isEmpty { throw FinemixError("vocabulary \(url.path) is empty") }
        var lines: [String] = []
        var lineNumber = 1
        var start = data.startIndex
        // HF keeps a line's content minus its newline; a trailing "\r" from CRLF files is dropped
        // as both HF readers (universal newlines, Rust `lines()`) do.
        func take(_ end: Data.Index) throws {
            var slice = data[start..<end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw FinemixError("vocabulary \(url.path) line \(lineNumber) is not valid UTF-8")
            }
            lines.append(s)
        }
        var i = data.startIndex
        while i < data.endIndex {
            if data[i] == 0x0A {
                try take(i)
                lineNumber += 1
                start = data.index(after: i)
            }
            i = data.index(after: i)
        }
        if start < data.endIndex { try take(data.endIndex) }
        try self.init(tokens: lines, source: url.path)
    }

    /// Builds a vocabulary from tokens in id order. `source` names it in errors.
    public init(tokens: [String], source: String = "vocabulary") throws {
        if tokens.isEmpty { throw FinemixError("\(source) has no tokens") }
        if tokens.count >= Int(Int32.max) { throw FinemixError("\(source) has too many tokens (\(tokens.count))") }
        self.tokens = tokens
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for t in tokens {
            bytes.append(contentsOf: t.utf8)
            offsets.append(Int32(bytes.count))
        }
        var size = 16
        while size < tokens.count * 2 { size <<= 1 }
        var slots = [Int32](repeating: -1, count: size)
        let hashMask = size - 1
        bytes.withUnsafeBufferPointer { b in
            for id in 0..<tokens.count {
                let piece = UnsafeBufferPointer(rebasing: b[Int(offsets[id])..<Int(offsets[id + 1])])
                var h = Int(truncatingIfNeeded: Vocabulary.hash(piece, continuation: false)) & hashMask
                while true {
                    let s = slots[h]
                    if s < 0 { slots[h] = Int32(id); break }
                    // duplicate token: the later line wins, as in HF's dict and Rust map
                    let other = UnsafeBufferPointer(rebasing: b[Int(offsets[Int(s)])..<Int(offsets[Int(s) + 1])])
                    if other.elementsEqual(piece) { slots[h] = Int32(id); break }
                    h = (h + 1) & hashMask
                }
            }
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
        self.slotMask = hashMask
        func special(_ name: String) throws -> Int32 {
            guard let id = Vocabulary.find(name, bytes: bytes, offsets: offsets, slots: slots, mask: hashMask) else {
                throw FinemixError("\(source) has no \(name) token")
            }
            return id
        }
        pad = try special("[PAD]")
        unk = try special("[UNK]")
        cls = try special("[CLS]")
        sep = try special("[SEP]")
        mask = try special("[MASK]")
    }

    /// The id of `token`, or nil.
    public func id(_ token: String) -> Int32? {
        Vocabulary.find(token, bytes: bytes, offsets: offsets, slots: slots, mask: slotMask)
    }

    /// The token for `id`, or nil when out of range.
    public func token(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// Looks up `piece` (UTF-8), prefixed by "##" when `continuation`.
    @inline(__always)
    func id(utf8 piece: UnsafeBufferPointer<UInt8>, continuation: Bool) -> Int32? {
        var h = Int(truncatingIfNeeded: Vocabulary.hash(piece, continuation: continuation)) & slotMask
        let want = piece.count + (continuation ? 2 : 0)
        return bytes.withUnsafeBufferPointer { b -> Int32? in
            slots.withUnsafeBufferPointer { s -> Int32? in
                offsets.withUnsafeBufferPointer { o -> Int32? in
                    while true {
                        let id = s[h]
                        if id < 0 { return nil }
                        let lo = Int(o[Int(id)]), hi = Int(o[Int(id) + 1])
                        if hi - lo == want {
                            var k = lo
                            var same = true
                            if continuation {
                                same = b[k] == 0x23 && b[k + 1] == 0x23
                                k += 2
                            }
                            if same {
                                for j in 0..<piece.count where b[k + j] != piece[j] { same = false; break }
                            }
                            if same { return id }
                        }
                        h = (h + 1) & slotMask
                    }
                }
            }
        }
    }

    private static func find(_ token: String, bytes: [UInt8], offsets: [Int32], slots: [Int32], mask: Int) -> Int32? {
        var t = token
        return t.withUTF8 { piece in
            var h = Int(truncatingIfNeeded: hash(piece, continuation: false)) & mask
            while true {
                let id = slots[h]
                if id < 0 { return nil }
                if bytes[Int(offsets[Int(id)])..<Int(offsets[Int(id) + 1])].elementsEqual(piece) { return id }
                h = (h + 1) & mask
            }
        }
    }

    /// FNV-1a over the bytes, with "##" hashed first for continuation pieces so a piece and its
    /// stored "##piece" token hash alike.
    @inline(__always)
    static func hash(_ piece: UnsafeBufferPointer<UInt8>, continuation: Bool) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if continuation {
            h = (h ^ 0x23) &* 0x100_0000_01b3
            h = (h ^ 0x23) &* 0x100_0000_01b3
        }
        for c in piece { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }
}
