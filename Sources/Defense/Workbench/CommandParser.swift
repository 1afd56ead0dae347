/// Parses the command language. A line is words separated by blanks; `"..."` or `'...'` quote a
/// word (backslash escapes inside double quotes), `#` at the start of a word starts a comment (as
/// in a shell: `run#2` and `##ing` are words), and a word `key=value` whose key is a plain
/// identifier is an option. Errors name the column.
public enum CommandParser {
    /// nil for a blank or comment-only line.
    public static func parse(_ line: String) throws -> Command? {
        do { return try locate(line)?.command } catch {
            throw FinemixError("column \(error.column): \(error.message)")
        }
    }

    /// Parses a whole script, naming `source:line` in any error. Blank and comment lines are skipped.
    public static func parseScript(_ text: String, source: String) throws -> [(line: Int, command: Command)] {
        var out: [(Int, Command)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            do {
                if let c = try parse(String(raw)) { out.append((i + 1, c)) }
            } catch let e as FinemixError {
                throw FinemixError("\(source):\(i + 1): \(e.message)")
            }
        }
        return out
    }

    /// A syntax error and the column (1-based, in Unicode scalars) where it is.
    public struct LineError: Error, Equatable, Sendable {
        public var column: Int
        public var message: String
    }

    /// A command and the column of each of its words, so a check of a value can point at it.
    public struct Located: Sendable {
        public var command: Command
        public var verbColumn: Int
        public var argumentColumns: [Int]
        public var optionColumns: [String: Int]
    }

    /// `parse` with the words' columns; throws `LineError`.
    public static func locate(_ line: String) throws(LineError) -> Located? {
        let words = try split(line)
        guard let first = words.first else { return nil }
        guard first.quoted == false, isIdentifier(first.text) else {
            throw LineError(column: first.column, message: "a command starts with a verb, found '\(first.text)'")
        }
        var out = Located(command: Command(verb: first.text.lowercased()), verbColumn: first.column,
                          argumentColumns: [], optionColumns: [:])
        for word in words.dropFirst() {
            let scalars = word.text.unicodeScalars
            if !word.quoted, let eq = scalars.firstIndex(of: "="), isIdentifier(String(scalars[..<eq])) {
                let key = String(scalars[..<eq]).lowercased()
                var value = String(scalars[scalars.index(after: eq)...])
                if let quotedValue = word.valueAfterQuote { value = quotedValue }
                if out.command.options[key] != nil {
                    throw LineError(column: word.column, message: "option '\(key)' is given twice")
                }
                out.command.options[key] = value
                out.optionColumns[key] = word.column
            } else {
                out.command.arguments.append(word.text)
                out.argumentColumns.append(word.column)
            }
        }
        return out
    }

    struct Word {
        var text: String
        var column: Int
        var quoted: Bool          // the word began with a quote
        var valueAfterQuote: String? // key="quoted value"
    }

    /// Scans Unicode scalars, not Characters: a quote followed by a combining mark is one
    /// Character, and must still open a quoted word (`Command.quote` writes such words).
    static func split(_ line: String) throws(LineError) -> [Word] {
        func blank(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\r" }
        var words: [Word] = []
        let chars = Array(line.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if blank(c) { i += 1; continue }
            if c == "#" { break }
            let start = i
            var text = String.UnicodeScalarView()
            var quoted = false
            var sawQuote = false
            var valueStart: Int? = nil
            while i < chars.count, !blank(chars[i]) {
                let ch = chars[i]
                if ch == "\"" || ch == "'" {
                    if i == start { quoted = true }
                    if !sawQuote, !quoted, text.last == "=" { valueStart = text.count }
                    sawQuote = true
                    let close = ch
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == close { closed = true; i += 1; break }
                        if close == "\"", chars[i] == "\\", i + 1 < chars.count { text.append(chars[i + 1]); i += 2; continue }
                        text.append(chars[i]); i += 1
                    }
                    if !closed { throw LineError(column: start + 1, message: "unterminated quote") }
                    continue
                }
                text.append(ch); i += 1
            }
            var word = Word(text: String(text), column: start + 1, quoted: quoted, valueAfterQuote: nil)
            if let v = valueStart { word.valueAfterQuote = String(text.dropFirst(v)) }
            words.append(word)
        }
        return words
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "." }
    }
}
