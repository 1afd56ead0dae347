enum LogPane {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let lines = Rows.log(s).map { s.log[$0] }
        LogView(lines: lines, scrollBack: s.logScroll).draw(&c, in: r, glyphs: g)
    }
}
