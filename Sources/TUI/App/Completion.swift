import Defense

/// Palette completion over the command list (data from the session): the verb first, then its
/// options (`select=`), `load`'s targets, and names the model knows (variants, layers).
public enum Completion {
    public static func complete(_ text: String, commands: [PaletteCommand], model: WorkbenchModel) -> (String, [String]) {
        let endsWithSpace = text.hasSuffix(" ")
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let current = endsWithSpace || words.isEmpty ? "" : words.removeLast()
        let candidates: [String]
        if words.isEmpty {
            candidates = commands.map(\.verb)
        } else {
            let verb = words[0]
            var pool = commands.first { $0.verb == verb }?.options.map { $0 + "=" } ?? []
            switch verb {
            case "load" where words.count == 1: pool += ["pre", "victim"]
            case "variant": pool += model.variants.map(\.name)
            case "rho" where words.count == 1: pool += model.mixer.layers.map { Command.quote($0.name) }
            case "mix" where current.hasPrefix("select="): pool = SelectionRule.allCases.map { "select=" + $0.rawValue }
            default: break
            }
            candidates = pool
        }
        let matches = candidates.filter { $0.hasPrefix(current) }
        let prefix = words.isEmpty ? "" : words.joined(separator: " ") + " "
        guard !matches.isEmpty else { return (text, []) }
        if matches.count == 1 {
            let m = matches[0]
            return (prefix + m + (m.hasSuffix("=") ? "" : " "), [])
        }
        return (prefix + commonPrefix(matches), matches)
    }

    static func commonPrefix(_ xs: [String]) -> String {
        guard var p = xs.first else { return "" }
        for x in xs.dropFirst() {
            while !x.hasPrefix(p) { p.removeLast() }
        }
        return p
    }
}

/// The lines of the help overlay: every key binding, then every command, filtered by the query.
public enum HelpContent {
    public struct Line: Equatable, Sendable {
        public var keys: String
        public var text: String
        public var heading: Bool
    }

    public static func lines(_ s: State) -> [Line] {
        let q = s.helpQuery.text.lowercased()
        func ok(_ a: String, _ b: String) -> Bool { q.isEmpty || a.lowercased().contains(q) || b.lowercased().contains(q) }
        var out: [Line] = []
        let keyLines = Action.allCases.compactMap { a -> Line? in
            let keys = s.keymap.keys(for: a).map(\.name).joined(separator: " ")
            let k = keys.isEmpty ? "(unbound)" : keys
            return ok(k + " " + a.rawValue, a.summary) ? Line(keys: k, text: "\(a.summary)  [\(a.rawValue)]", heading: false) : nil
        }
        if !keyLines.isEmpty {
            out.append(Line(keys: "", text: "Keys (rebind in $XDG_CONFIG_HOME/finemix/keys.conf: key = action)", heading: true))
            out += keyLines
        }
        let extra: [(String, String)] = [
            ("0-9 .", "Mixer: type an exact rho (0.35, .35 or 35), Enter sets it"),
            ("mouse", "click focuses a pane and selects a row; the wheel scrolls"),
        ]
        let extraLines = extra.filter { ok($0.0, $0.1) }.map { Line(keys: $0.0, text: $0.1, heading: false) }
        out += extraLines
        let cmdLines = s.model.commands.filter { ok($0.usage, $0.summary) }.map { Line(keys: ":" + $0.verb, text: "\($0.usage) — \($0.summary)", heading: false) }
        if !cmdLines.isEmpty {
            out.append(Line(keys: "", text: "Commands (type after :)", heading: true))
            out += cmdLines
        }
        return out
    }
}
