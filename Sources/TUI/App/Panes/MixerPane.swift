enum MixerPane {
    /// Rows above the per-layer table: settings, slider (2 rows), hint.
    static func headerRows(_ r: Rect) -> Int { r.height >= 8 ? 4 : 2 }

    static func tableRect(_ inner: Rect, _ s: State) -> Rect { inner.inset(top: headerRows(inner)) }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let m = s.model.mixer
        let perLayer = m.scope == .perLayer
        var x = r.x
        x += c.text("ρ ", x: x, y: r.y, style: .dim)
        x += c.text(Fmt.rho(m.rho), x: x, y: r.y, style: Style(.accent, .bold))
        x += c.text(" kept from victim", x: x, y: r.y, style: .dim)
        let settings = "  select \(m.select.rawValue) · seed \(m.seed) · scope \(perLayer ? "per layer" : "global")"
        c.text(settings, x: x, y: r.y, style: .normal, maxWidth: r.maxX - x)
        let sliderRows = headerRows(r) >= 4 ? 2 : 1
        Slider(value: m.rho, focused: s.focus == .mixer).draw(&c, in: Rect(x: r.x, y: r.y + 1, width: r.width, height: sliderRows), glyphs: g)
        if headerRows(r) >= 4 {
            let hy = r.y + 3
            if let e = s.rhoEntry {
                let target = perLayer && s.mixerCursor < m.layers.count ? "ρ[\(m.layers[s.mixerCursor].name)]" : "ρ"
                c.text("\(target) := \(e)_  Enter sets · Esc cancels", x: r.x, y: hy, style: Style(.warn, .bold), maxWidth: r.width)
            } else {
                c.text("[ ] ←→ ±0.05 · 0-9 exact · r rule · p scope · Enter mix · f fine-tune", x: r.x, y: hy, style: .dim, maxWidth: r.width)
            }
        }
        let tr = tableRect(r, s)
        guard tr.height >= 2 else { return }
        let total = m.layers.reduce(0) { $0 + $1.parameters }
        let keptTotal = m.layers.reduce(0.0) { $0 + Double($1.parameters) * m.rho(for: $1) }
        let table = Table(
            columns: [Table.Column("Layer", .fill(3)), Table.Column("ρ", .fixed(4), .right), Table.Column("Kept", .fixed(6), .right),
                      Table.Column("‖Δ‖² kept", .fill(2))],
            rows: m.layers.map { row in
                let rho = m.rho(for: row)
                return Table.Row([row.name, Fmt.rho(rho), Fmt.count(Int(Double(row.parameters) * rho)), ""],
                                 style: perLayer && row.rho != nil ? Style(.accent) : .normal)
            },
            selected: perLayer || s.focus == .mixer ? s.mixerCursor : nil, focused: s.focus == .mixer)
        table.draw(&c, in: tr, glyphs: g)
        let widths = table.columnWidths(in: tr)
        let barX = tr.x + widths[0] + widths[1] + widths[2] + 3
        let visible = Table.visibleRows(height: tr.height)
        let first = Table.scrollOffset(selected: s.mixerCursor, offset: 0, visible: visible, count: m.layers.count)
        for line in 0..<visible where first + line < m.layers.count {
            let row = m.layers[first + line]
            let kept = row.kept(at: m.rho(for: row))
            Bar(value: kept, style: Style(ColorRole.heat(kept))).draw(&c, in: Rect(x: barX, y: tr.y + 1 + line, width: widths[3], height: 1), glyphs: g)
        }
        // Total in the header row of the last column, space permitting.
        let sum = "\(Fmt.count(Int(keptTotal)))/\(Fmt.count(total))"
        if widths[3] > sum.count + 10 {
            c.text(sum, x: tr.maxX - sum.count, y: tr.y, style: .dim)
        }
    }
}
