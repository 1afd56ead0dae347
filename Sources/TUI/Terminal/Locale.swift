import CNcurses
import Foundation

public enum TerminalLocale {
    /// ncurses draws wide characters only under a UTF-8 locale. With LANG unset the C locale would
    /// turn braille into garbage, so fall back to C.UTF-8 when the environment names no UTF-8 one.
    /// Returns whether the terminal can be assumed to take UTF-8.
    @discardableResult
    public static func adopt() -> Bool {
        if let set = setlocale(LC_ALL, ""), isUTF8(String(cString: set)) { return true }
        let env = ProcessInfo.processInfo.environment
        let named = env["LC_ALL"] ?? env["LC_CTYPE"] ?? env["LANG"] ?? ""
        if named.isEmpty || named == "C" || named == "POSIX" {
            if setlocale(LC_ALL, "C.UTF-8") != nil { return true }
        }
        return false
    }

    static func isUTF8(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.contains("utf-8") || lower.contains("utf8")
    }
}
