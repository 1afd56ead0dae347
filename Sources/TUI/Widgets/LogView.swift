import Defense

/// The engine's levels, coloured.
extension LogLevel {
    public var role: ColorRole {
        switch self {
        case .info: .normal
        case .warning: .warn
        case .error: .bad
        case .command: .accent
        }
    }
}

/// A line of the session log.
public struct LogLine: Equatable, Sendable {
    public var time: String
    public var level: LogLevel
    public var text: String
    public init(time: String = "", level: LogLevel = .info, text: String) {
        self.time = time
        self.level = level
        self.text = text
    }
}

/// A scrollable log: `scrollBack` lines up from the newest (0 = follow the tail).
public struct LogView: Sendable {
    public var lines: [LogLine]
    public var scrollBack: Int

    public init(lines: [LogLine], scrollBack: Int = 0) {
        self.lines = lines
        self.scrollBack = scrollBack
    }

    /// The range of line indices shown in `height` rows.
    public static func window(count: Int, height: Int, scrollBack: Int) -> Range<Int> {
        guard height > 0, count > 0 else { return 0..<0 }
        let back = min(max(0, scrollBack), max(0, count - height))
        let end = count - back
        return max(0, end - height)..<end
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        let range = LogView.window(count: lines.count, height: rect.height, scrollBack: scrollBack)
        canvas.within(rect) { c in
            for (row, i) in range.enumerated() {
                let l = lines[i]
                var x = rect.x
                if !l.time.isEmpty && rect.width > 30 {
                    x += c.text(l.time + " ", x: x, y: rect.y + row, style: .dim)
                }
                let tag = l.level == .error ? "error: " : (l.level == .warning ? "warn: " : (l.level == .command ? g.pointer + " " : ""))
                x += c.text(tag, x: x, y: rect.y + row, style: Style(l.level.role, .bold))
                c.text(l.text.truncated(to: rect.maxX - x, ellipsis: g.ellipsis), x: x, y: rect.y + row, style: Style(l.level.role))
            }
            if scrollBack > 0 && rect.width > 12 {
                let hint = "\(g.down) \(min(scrollBack, max(0, lines.count - rect.height))) more"
                c.text(hint, x: rect.maxX - hint.terminalWidth, y: rect.maxY - 1, style: Style(.dim, .reverse))
            }
        }
    }
}
