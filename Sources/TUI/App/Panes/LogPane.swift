/// How far back the Log pane is scrolled (0: following the newest line).
public struct LogPaneState: Equatable, Sendable {
    public var scroll = 0
}

/// The Log pane: commands, results and errors as they came; ↑ scrolls back.
enum LogPane {
    /// ↑ reads older lines: the cursor keys scroll back.
    static func move(_ delta: Int, _ s: inout State) { s.logPane.scroll -= delta }

    /// A new line keeps the lines being read in place.
    static func appended(_ s: inout State) { if s.logPane.scroll > 0 { s.logPane.scroll += 1 } }

    static func clamp(_ s: inout State) {
        s.logPane.scroll = min(max(0, s.logPane.scroll), max(0, Rows.log(s).count - 1))
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let lines = Rows.log(s).map { s.log[$0] }
        LogView(lines: lines, scrollBack: s.logPane.scroll).draw(&c, in: r, glyphs: g)
    }
}
