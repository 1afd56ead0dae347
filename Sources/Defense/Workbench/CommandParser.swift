/// Parses the command language. A line is words separated by blanks; `"..."` or `'...'` quote a
/// word (backslash escapes inside double quotes), `#` starts a comment, and a word `key=value`
/// whose key is a plain identifier is an option. Errors name the column.
public enum CommandParser {
    /// nil for a blank or comment-only line.
    public static func parse(_ line: String) throws -> Command? {
        let words = try split(line)
        guard let first = words.first else { return nil }
        guard first.quoted == false, isIdentifier(first.text) else {
            throw FinemixError("column \(first.column): a command starts with a verb, found '\(first.text)'")
        }
        var command = Command(verb: first.text.lowercased())
        for word in words.dropFirst() {
            if !word.quoted, let eq = word.text.firstIndex(of: "="), isIdentifier(String(word.text[..<eq])) {
                let key = String(word.text[..<eq]).lowercased()
                var value = String(word.text[word.text.index(after: eq)...])
                if let quotedValue = word.valueAfterQuote { value = quotedValue }
                if command.options[key] != nil {
                    throw FinemixError("column \(word.column): option '\(key)' is given twice")
                }
                command.options[key] = value
            } else {
                command.arguments.append(word.text)
            }
        }
        return command
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

    struct Word {
        var text: String
        var column: Int
        var quoted: Bool          // the word began with a quote
        var valueAfterQuote: String? // key="quoted value"
    }

    static func split(_ line: String) throws -> [Word] {
        var words: [Word] = []
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\r" { i += 1; continue }
            if c == "#" { break }
            let start = i
            var text = ""
            var quoted = false
            var sawQuote = false
            var valueStart: Int? = nil
            while i < chars.count, !(chars[i] == " " || chars[i] == "\t" || chars[i] == "\r") {
                let ch = chars[i]
                if ch == "\"" || ch == "'" {
                    if i == start { quoted = true }
                    if !sawQuote, !quoted, text.hasSuffix("=") { valueStart = text.count }
                    sawQuote = true
                    let close = ch
                    i += 1
                    var closed = false
                    while i < chars.count {
                        if chars[i] == close { closed = true; i += 1; break }
                        if close == "\"", chars[i] == "\\", i + 1 < chars.count { text.append(chars[i + 1]); i += 2; continue }
                        text.append(chars[i]); i += 1
                    }
                    if !closed { throw FinemixError("column \(start + 1): unterminated quote") }
                    continue
                }
                if ch == "#" { break }
                text.append(ch); i += 1
            }
            var word = Word(text: text, column: start + 1, quoted: quoted, valueAfterQuote: nil)
            if let v = valueStart { word.valueAfterQuote = String(text.dropFirst(v)) }
            words.append(word)
            if i < chars.count, chars[i] == "#" { break }
        }
        return words
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "." }
    }
}
