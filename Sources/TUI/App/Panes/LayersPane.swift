import Foundation

enum LayersPane {
    static func tableRect(_ inner: Rect, _ s: State) -> Rect {
        if s.drill != nil {
            let histRows = inner.height >= 10 ? 3 : 0
            return inner.inset(top: 1, bottom: histRows)
        }
        return inner
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        if let d = s.drill { drawDrill(&c, r, s, d, g); return }
        let rows = Rows.layers(s)
        let layers = s.model.layers
        let maxDrift = layers.compactMap(\.relL2).max() ?? 1
        let wide = r.width >= 50
        var cols = [Table.Column("Layer", .fill(3)), Table.Column("Drift", .fixed(7), .right), Table.Column("", .fill(2))]
        if wide { cols.append(Table.Column("Params", .fixed(6), .right)) }
        let table = Table(
            columns: cols,
            rows: rows.map { i in
                let l = layers[i]
                var cells = [l.name, l.relL2.map { Fmt.f($0, 4) } ?? "new", ""]
                if wide { cells.append(Fmt.count(l.parameters)) }
                return Table.Row(cells, style: l.relL2 == nil ? Style(.dim) : .normal)
            },
            selected: s.layerCursor, sortColumn: s.layerSort == .drift ? 1 : nil, sortAscending: false,
            focused: s.focus == .layers)
        let tr = tableRect(r, s)
        table.draw(&c, in: tr, glyphs: g)
        // Bars with heat colour in the third column.
        let widths = table.columnWidths(in: tr)
        let barX = tr.x + widths[0] + widths[1] + 2
        let visible = Table.visibleRows(height: tr.height)
        let first = Table.scrollOffset(selected: s.layerCursor, offset: 0, visible: visible, count: rows.count)
        for line in 0..<visible where first + line < rows.count {
            guard let d = layers[rows[first + line]].relL2 else { continue }
            let f = maxDrift > 0 ? d / maxDrift : 0
            Bar(value: f, style: Style(ColorRole.heat(f)), showTrack: false)
                .draw(&c, in: Rect(x: barX, y: tr.y + 1 + line, width: widths[2], height: 1), glyphs: g)
        }
    }

    static func drawDrill(_ c: inout Canvas, _ r: Rect, _ s: State, _ d: Int, _ g: Glyphs) {
        let layer = s.model.layers[d]
        c.text("\(layer.name) \(g.pointer) tensors (Esc back)", x: r.x, y: r.y, style: Style(.title, .bold), maxWidth: r.width)
        let tr = tableRect(r, s)
        let wide = tr.width >= 70
        var cols = [Table.Column("Tensor", .fill), Table.Column("Shape", .fixed(10)), Table.Column("Drift", .fixed(7), .right)]
        if wide {
            cols += [Table.Column("Cos", .fixed(8), .right), Table.Column("max|Δ|", .fixed(7), .right), Table.Column("Changed", .fixed(7), .right)]
        }
        let rows = layer.tensors.map { t -> Table.Row in
            var cells = [shortName(t.name), t.shape.map(String.init).joined(separator: "×"), t.relL2.map { Fmt.f($0, 4) } ?? "new"]
            if wide { cells += [Fmt.f(t.cosine, 5), Fmt.f(t.maxAbsDelta, 4), Fmt.percent(t.changedFraction, 1)] }
            return Table.Row(cells)
        }
        Table(columns: cols, rows: rows, selected: s.tensorCursor, focused: s.focus == .layers).draw(&c, in: tr, glyphs: g)
        guard tr.maxY < r.maxY, s.tensorCursor < layer.tensors.count else { return }
        let t = layer.tensors[s.tensorCursor]
        let hy = tr.maxY
        if t.histogram.isEmpty {
            c.text("no Δ histogram (no pre-trained counterpart)", x: r.x, y: hy, style: .dim)
            return
        }
        c.text("Δ histogram of \(shortName(t.name)) (log count)", x: r.x, y: hy, style: .dim, maxWidth: r.width)
        // Log counts: fine-tuning moves most weights a little, so linear bars show only the centre spike.
        Sparkline(values: t.histogram.map { log1p(Double($0)) }, style: .accent)
            .draw(&c, in: Rect(x: r.x, y: hy + 1, width: min(r.width, t.histogram.count), height: 1), glyphs: g)
        let lo = Fmt.f(t.histogramRange.lowerBound, 4), hi = Fmt.f(t.histogramRange.upperBound, 4)
        c.text(lo, x: r.x, y: hy + 2, style: .dim)
        let w = min(r.width, t.histogram.count)
        c.text(hi, x: r.x + max(lo.count + 1, w - hi.count), y: hy + 2, style: .dim)
    }

    /// Drops the "encoder.layer.N." (DistilBERT: "transformer.layer.N.") prefix the row already names.
    static func shortName(_ n: String) -> String {
        for prefix in ["encoder.layer.", "transformer.layer."] where n.hasPrefix(prefix) {
            let rest = n.dropFirst(prefix.count)
            if let dot = rest.firstIndex(of: ".") { return String(rest[rest.index(after: dot)...]) }
        }
        return n
    }
}
