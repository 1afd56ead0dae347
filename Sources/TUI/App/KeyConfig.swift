import Foundation

/// keys.conf: one `key = action` per line, `#` comments, blank lines ignored. A binding replaces
/// whatever the key did before; `key = none` unbinds it. Bad lines are reported with their line
/// number and skipped, so one typo never loses the rest of the file.
public enum KeyConfig {
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "keys.conf line \(line): \(message)" }
    }

    public static func parse(_ text: String, base: Keymap = .defaults) -> (Keymap, [Problem]) {
        var map = base
        var problems: [Problem] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "="), eq != trimmed.startIndex else {
                problems.append(Problem(line: n, message: "expected `key = action`, found '\(trimmed)'"))
                continue
            }
            let keyName = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let actionName = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard let key = Key(name: keyName) else {
                problems.append(Problem(line: n, message: "unknown key '\(keyName)' (use a single character or a name such as tab, shift-tab, enter, esc, space, up, pgdn, f1, ctrl-x)"))
                continue
            }
            if actionName == "none" {
                map.bindings[key] = nil
                continue
            }
            guard let action = Action(rawValue: actionName) else {
                problems.append(Problem(line: n, message: "unknown action '\(actionName)' for key '\(keyName)'; known: \(Action.allCases.map(\.rawValue).joined(separator: ", "))"))
                continue
            }
            map.bindings[key] = action
        }
        return (map, problems)
    }

    /// `$XDG_CONFIG_HOME/finemix/keys.conf` (or `~/.config/finemix/keys.conf`).
    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config", isDirectory: true)
        return base.appendingPathComponent("finemix/keys.conf")
    }

    /// Loads the file if it exists; a missing file is the defaults with no problems.
    public static func load(_ url: URL) -> (Keymap, [Problem]) {
        guard let data = FileManager.default.contents(atPath: url.path) else { return (.defaults, []) }
        guard let text = String(data: data, encoding: .utf8) else {
            return (.defaults, [Problem(line: 0, message: "\(url.path) is not UTF-8 text")])
        }
        return parse(text)
    }
}
