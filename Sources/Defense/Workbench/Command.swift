/// One line of the command language: a verb, positional words and `key=value` options.
/// Keys, the `:` palette, `finemix run SCRIPT` and the journal all speak it, so what an analyst
/// did can be replayed exactly and what a test checks is what a user runs.
public struct Command: Equatable, Sendable, CustomStringConvertible {
    public var verb: String
    public var arguments: [String]
    public var options: [String: String]

    public init(verb: String, arguments: [String] = [], options: [String: String] = [:]) {
        self.verb = verb; self.arguments = arguments; self.options = options
    }

    /// The canonical text: options sorted, words quoted when they need it; parsing it gives
    /// back the same command.
    public var description: String {
        var words = [verb] + arguments.map(Command.quote)
        for key in options.keys.sorted() { words.append("\(key)=\(Command.quote(options[key]!))") }
        return words.joined(separator: " ")
    }

    /// The one quoting function: every writer of commands (palette, panes, journal, reports) uses it,
    /// so any path or token round-trips through the parser.
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { s in
            !(s.properties.isWhitespace || s == "\"" || s == "'" || s == "\\" || s == "#" || s == "=")
        }
        if plain { return word }
        // By scalar, as the parser reads: a backslash followed by a combining mark is one
        // Character, and must still be escaped.
        var out = String.UnicodeScalarView()
        out.append("\"")
        for s in word.unicodeScalars {
            if s == "\"" || s == "\\" { out.append("\\") }
            out.append(s)
        }
        out.append("\"")
        return String(out)
    }
}
