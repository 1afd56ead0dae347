/// One terminal cell. A double-width character occupies its cell (`width == 2`) and the one to
/// its right (`width == 0`, a continuation that is never drawn on its own). Zero-width scalars
/// (combining marks) are dropped when drawing: the front end never needs them and they would make
/// cells unequal in what they show.
public struct Cell: Equatable, Hashable, Sendable {
    public var scalar: Unicode.Scalar
    public var style: Style
    public var width: UInt8

    public init(_ scalar: Unicode.Scalar = " ", style: Style = .normal, width: UInt8 = 1) {
        self.scalar = scalar
        self.style = style
        self.width = width
    }

    public static let blank = Cell()
    public var isContinuation: Bool { width == 0 }
}

extension Unicode.Scalar {
    /// Columns this scalar takes in a terminal: 0 (combining, control), 1, or 2 (East Asian wide,
    /// emoji presentation). A small table rather than wcwidth so headless rendering does not
    /// depend on the process locale.
    public var terminalWidth: Int {
        let v = value
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }
        if v < 0x300 { return 1 }
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if v == 0x200B { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        if v >= 0x1F000 && properties.isEmojiPresentation { return 2 }
        return 1
    }
}

extension String {
    /// Columns this string takes in a terminal.
    public var terminalWidth: Int {
        var n = 0
        for s in unicodeScalars { n += s.terminalWidth }
        return n
    }

    /// Cut to at most `width` columns, ending in `ellipsis` when cut.
    public func truncated(to width: Int, ellipsis: String = "…") -> String {
        if width <= 0 { return "" }
        if terminalWidth <= width { return self }
        let ew = ellipsis.terminalWidth
        let budget = max(0, width - ew)
        var out = String.UnicodeScalarView()
        var used = 0
        for s in unicodeScalars {
            let w = s.terminalWidth
            if used + w > budget { break }
            out.append(s)
            used += w
        }
        return String(out) + (ew <= width ? ellipsis : "")
    }

    /// Padded with spaces (or cut) to exactly `width` columns.
    public func padded(to width: Int, align: Alignment = .left) -> String {
        let s = truncated(to: width)
        let pad = max(0, width - s.terminalWidth)
        switch align {
        case .left: return s + String(repeating: " ", count: pad)
        case .right: return String(repeating: " ", count: pad) + s
        case .center: return String(repeating: " ", count: pad / 2) + s + String(repeating: " ", count: pad - pad / 2)
        }
    }
}

public enum Alignment: Sendable, Equatable { case left, right, center }
