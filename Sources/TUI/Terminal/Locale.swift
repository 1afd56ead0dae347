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

    /// An ASCII stand-in for a character a non-UTF-8 terminal cannot show: box drawing becomes
    /// `-|+`, blocks `#`, braille `.`, and the few symbols the panes use their nearest letter.
    public static func asciiFold(_ s: Unicode.Scalar) -> Unicode.Scalar {
        let v = s.value
        if v < 0x7F { return s }
        switch v {
        case 0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254C, 0x254D, 0x2550, 0x2574, 0x2576, 0x2578, 0x257A: return "-"
        case 0x2502, 0x2503, 0x2506, 0x2507, 0x250A, 0x250B, 0x254E, 0x254F, 0x2551, 0x2575, 0x2577, 0x2579, 0x257B: return "|"
        case 0x2500...0x257F: return "+"
        case 0x2580...0x259F: return "#"
        case 0x2800: return " "
        case 0x2801...0x28FF: return "."
        case 0x03C1: return "r"          // ρ
        case 0x03B4: return "d"          // δ
        case 0x0394: return "D"          // Δ
        case 0x03BC, 0x00B5: return "u"  // μ
        case 0x00D7: return "x"          // ×
        case 0x2013, 0x2014, 0x2212: return "-"
        case 0x2026, 0x00B7, 0x2022, 0x22C5: return "."
        case 0x25CF, 0x25CB, 0x25C9: return "o"
        case 0x2190, 0x25C0, 0x2039, 0x00AB, 0x2264: return "<"
        case 0x2192, 0x25B6, 0x203A, 0x00BB, 0x2265: return ">"
        case 0x2191, 0x25B2: return "^"
        case 0x2193, 0x25BC: return "v"
        case 0x2016: return "|"          // ‖
        case 0x00B2: return "2"
        case 0x00B3: return "3"
        case 0x00B1: return "+"
        case 0x2713, 0x2714: return "v"
        case 0x00A0: return " "
        default: return "?"
        }
    }
}
