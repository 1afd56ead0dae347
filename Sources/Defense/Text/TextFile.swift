import Foundation

/// The bytes of a data file after the checks every format shares: readable, not huge, not empty,
/// valid UTF-8 (the first bad line is named), with a UTF-8 byte-order mark removed.
struct TextFile {
    let path: String
    let bytes: [UInt8]

    static let maxBytes = 1 << 30

    init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw FinemixError("\(path): no such file or it cannot be read") }
        guard size <= TextFile.maxBytes else {
            throw FinemixError("\(path): \(size) bytes is more than the \(TextFile.maxBytes) a dataset file may have")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError.fileSystem(error, path: path, action: "read")
        }
        try self.init(path: path, data: data)
    }

    init(path: String, data: Data) throws {
        self.path = path
        var b = [UInt8](data)
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { b.removeFirst(3) }
        bytes = b
        if b.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw FinemixError("\(path): line 1: the file is empty")
        }
        if String(validating: b, as: UTF8.self) == nil { try TextFile.locateInvalidUTF8(b, path: path) }
    }

    /// Only runs when the whole file failed to decode: find the line so the user can fix it.
    private static func locateInvalidUTF8(_ b: [UInt8], path: String) throws {
        var line = 1
        var start = 0
        while start <= b.count {
            var end = start
            while end < b.count && b[end] != 0x0A { end += 1 }
            let slice = b[start..<end]
            if String(validating: slice, as: UTF8.self) == nil {
                // the first byte that does not begin a valid sequence, for the column
                var col = 0
                var i = start
                while i < end {
                    let len = utf8Length(b, i, end)
                    if len == 0 { col = i - start + 1; break }
                    i += len
                }
                throw FinemixError("\(path): line \(line): invalid UTF-8 (byte 0x\(String(b[start + max(col - 1, 0)], radix: 16, uppercase: true)) at byte \(col) of the line); save the file as UTF-8")
            }
            line += 1
            start = end + 1
        }
        throw FinemixError("\(path): invalid UTF-8")
    }

    /// Length of the valid UTF-8 sequence starting at i, or 0 when it is not valid.
    private static func utf8Length(_ b: [UInt8], _ i: Int, _ end: Int) -> Int {
        let c = b[i]
        let len: Int
        switch c {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: len = 2
        case 0xE0...0xEF: len = 3
        case 0xF0...0xF4: len = 4
        default: return 0
        }
        guard i + len <= end else { return 0 }
        return String(validating: b[i..<(i + len)], as: UTF8.self) == nil ? 0 : len
    }
}

/// One record of a delimited file: the physical line it starts on and its fields.
struct RawRecord {
    let line: Int
    let fields: [String]
}

/// Splits TSV (no quoting: a tab always separates, as in the IANA TSV type) and CSV per RFC 4180
/// (quoted fields, "" for a quote, newlines inside quotes, CRLF or LF line ends). Blank lines
/// are not records. Lenient where RFC 4180 says nothing: text after a closing quote is kept, a
/// quote inside an unquoted field is a literal character.
enum DelimitedText {
    static func records(_ file: TextFile, delimiter: UInt8, quoting: Bool) throws -> [RawRecord] {
        let b = file.bytes
        let n = b.count
        let quote: UInt8 = 0x22, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        var out: [RawRecord] = []
        var i = 0
        var line = 1
        func isBlankLine(from i: Int) -> Int? {
            var j = i
            while j < n && (b[j] == 0x20 || b[j] == 0x09 || b[j] == cr) { j += 1 }
            if j == n { return j }
            return b[j] == lf ? j + 1 : nil
        }
        while i < n {
            if let next = isBlankLine(from: i) {
                i = next
                line += 1
                continue
            }
            let recordLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            while true {
                field.removeAll(keepingCapacity: true)
                if quoting && i < n && b[i] == quote {
                    let openLine = line
                    i += 1
                    while true {
                        guard i < n else {
                            throw FinemixError("\(file.path): line \(openLine): a quoted field opened here is never closed")
                        }
                        let c = b[i]
                        if c == quote {
                            if i + 1 < n && b[i + 1] == quote { field.append(quote); i += 2; continue }
                            i += 1
                            break
                        }
                        if c == lf { line += 1 }
                        if c == cr && i + 1 < n && b[i + 1] == lf { i += 1; continue }
                        field.append(c)
                        i += 1
                    }
                }
                while i < n && b[i] != delimiter && b[i] != lf {
                    if !(b[i] == cr && (i + 1 == n || b[i + 1] == lf)) { field.append(b[i]) }
                    i += 1
                }
                fields.append(String(decoding: field, as: UTF8.self))
                if i < n && b[i] == delimiter {
                    i += 1
                    continue
                }
                if i < n { i += 1; line += 1 }  // the line feed
                break
            }
            out.append(RawRecord(line: recordLine, fields: fields))
        }
        return out
    }
}
