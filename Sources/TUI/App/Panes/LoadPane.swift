enum LoadPane {
    static func tableRect(_ inner: Rect, _ s: State) -> Rect {
        let l = s.model.load
        let bottom = (l.error != nil ? 1 : 0) + (inner.height >= 12 && !l.recent.isEmpty ? min(l.recent.count, 3) + 1 : 0)
        return inner.inset(top: 2, bottom: bottom)
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let l = s.model.load
        var x = r.x
        x += c.text("load as: ", x: x, y: r.y, style: .dim)
        for t in LoadTarget.allCases {
            let on = t == l.target
            x += c.text(on ? "[\(t.rawValue)]" : " \(t.rawValue) ", x: x, y: r.y, style: on ? Style(.accent, .bold) : .dim)
        }
        c.text("  ←→", x: x, y: r.y, style: .dim)
        c.text(l.directory, x: r.x, y: r.y + 1, style: Style(.title), maxWidth: r.width)
        let tr = tableRect(r, s)
        let rows = Rows.load(s)
        let narrow = tr.width < 50
        Table(columns: narrow ? [Table.Column("Name", .fill), Table.Column("Kind", .fixed(10))]
                              : [Table.Column("Name", .fill(3)), Table.Column("Kind", .fixed(10)), Table.Column("", .fill(2))],
              rows: rows.map { i in
                  let e = l.entries[i]
                  let name = e.kind == .directory || e.kind == .checkpoint ? e.name + "/" : e.name
                  let style: Style = e.kind == .checkpoint ? Style(.accent, .bold) : (e.kind == .dataset ? Style(.good) : (e.kind == .file ? .dim : .normal))
                  return Table.Row([name, e.kind.rawValue, e.detail], style: style)
              },
              selected: s.loadCursor, focused: s.focus == .load).draw(&c, in: tr, glyphs: g)
        var y = tr.maxY
        if r.height >= 12 && !l.recent.isEmpty {
            c.text("recent", x: r.x, y: y, style: Style(.title, .bold))
            y += 1
            for p in l.recent.prefix(3) where y < r.maxY {
                c.text("  " + p, x: r.x, y: y, style: .dim, maxWidth: r.width)
                y += 1
            }
        }
        if let e = l.error {
            c.text(e, x: r.x, y: r.maxY - 1, style: Style(.bad, .bold), maxWidth: r.width)
        }
    }
}
