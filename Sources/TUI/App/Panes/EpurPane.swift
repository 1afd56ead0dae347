enum EpurPane {
    static func tableRect(_ inner: Rect, _ s: State) -> Rect { inner.inset(top: 1) }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let e = s.model.epur
        let chosen = e.tokens.filter(\.selected).count
        let cands = e.tokens.filter(\.candidate).map(\.token)
        var x = r.x
        x += c.text("N \(e.top) · f_min \(App.fminText(e.fMin)) · reset \(chosen)/\(e.tokens.count)", x: x, y: r.y, style: .normal, maxWidth: r.width)
        if !cands.isEmpty {
            c.text(" · candidates: " + cands.joined(separator: " "), x: x, y: r.y, style: Style(.highlight, .bold), maxWidth: r.maxX - x)
        }
        let rows = Rows.tokens(s)
        let wide = r.width >= 46
        var cols = [Table.Column("", .fixed(3)), Table.Column("Token", .fill(2)), Table.Column("δ", .fixed(6), .right),
                    Table.Column("f", .fixed(5), .right), Table.Column("s", .fixed(6), .right)]
        if wide { cols.insert(Table.Column("Id", .fixed(6), .right), at: 2) }
        let sortCol: Int = {
            switch s.tokenSort {
            case .score: return wide ? 5 : 4
            case .drift: return wide ? 3 : 2
            case .freq: return wide ? 4 : 3
            }
        }()
        let table = Table(
            columns: cols,
            rows: rows.map { i in
                let t = e.tokens[i]
                var cells = [t.selected ? g.check : g.uncheck, t.token, Fmt.f(t.drift, 3), Fmt.f(t.freq, 0), Fmt.f(t.score, 2)]
                if wide { cells.insert("\(t.id)", at: 2) }
                return Table.Row(cells, style: t.candidate ? Style(.warn, .bold) : (t.selected ? .normal : .dim))
            },
            selected: s.tokenCursor, sortColumn: sortCol, sortAscending: s.tokenSort == .freq, focused: s.focus == .epur)
        table.draw(&c, in: tableRect(r, s), glyphs: g)
    }
}
