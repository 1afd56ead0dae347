import Foundation

/// Where the analyst is in the Layers pane: the cursor, the sort, and the layer drilled into.
public struct LayersPaneState: Equatable, Sendable {
    /// Index into the rows shown (after sort and filter).
    public var cursor = 0
    public var sort = LayerSort.order
    /// The layer drilled into (index into model.layers), nil: the layer table.
    public var drill: Int?
    public var tensorCursor = 0
}

/// The Layers pane: drift per layer with a heat bar; Enter or → drills into a layer's tensors.
enum LayersPane {
    /// A new drift map with fewer layers cannot keep a drill into one that is gone.
    static func adopt(_ next: WorkbenchModel, _ s: inout State) {
        if s.layers.drill.map({ $0 >= next.layers.count }) ?? false { s.layers.drill = nil }
    }

    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .left, .rhoDown: s.layers.drill = nil
        case .right, .rhoUp, .activate: if s.layers.drill == nil { drillDown(&s) }
        case .sort: s.layers.sort = s.layers.sort == .order ? .drift : .order
        default: return false
        }
        return true
    }

    /// Esc: out of a drill-down first.
    static func back(_ s: inout State) -> Bool {
        guard s.layers.drill != nil else { return false }
        s.layers.drill = nil
        return true
    }

    static func move(_ delta: Int, _ s: inout State) {
        if s.layers.drill != nil { s.layers.tensorCursor += delta } else { s.layers.cursor += delta }
    }

    static func select(_ row: Int, _ s: inout State) {
        if s.layers.drill != nil { s.layers.tensorCursor = row } else { s.layers.cursor = row }
    }

    /// The cursor of the table shown (tensors when drilled in).
    static func selected(_ s: State) -> Int { s.layers.drill != nil ? s.layers.tensorCursor : s.layers.cursor }

    static func clamp(_ s: inout State) {
        if let d = s.layers.drill, d >= s.model.layers.count { s.layers.drill = nil }
        s.layers.cursor = Rows.clamp(s.layers.cursor, Rows.layers(s).count)
        s.layers.tensorCursor = Rows.clamp(s.layers.tensorCursor, Rows.tensors(s).count)
    }

    static func drillDown(_ s: inout State) {
        let rows = Rows.layers(s)
        guard s.layers.cursor < rows.count else { return }
        s.layers.drill = rows[s.layers.cursor]
        s.layers.tensorCursor = 0
    }

    static func tableRect(_ inner: Rect, _ s: State) -> Rect {
        if s.layers.drill != nil {
            let histRows = inner.height >= 10 ? 3 : 0
            return inner.inset(top: 1, bottom: histRows)
        }
        return inner
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        if let d = s.layers.drill { drawDrill(&c, r, s, d, g); return }
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
            selected: s.layers.cursor, sortColumn: s.layers.sort == .drift ? 1 : nil, sortAscending: false,
            focused: s.focus == .layers)
        let tr = tableRect(r, s)
        table.draw(&c, in: tr, glyphs: g)
        // Bars with heat colour in the third column.
        let widths = table.columnWidths(in: tr)
        let barX = tr.x + widths[0] + widths[1] + 2
        let visible = Table.visibleRows(height: tr.height)
        let first = Table.scrollOffset(selected: s.layers.cursor, offset: 0, visible: visible, count: rows.count)
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
        Table(columns: cols, rows: rows, selected: s.layers.tensorCursor, focused: s.focus == .layers).draw(&c, in: tr, glyphs: g)
        guard tr.maxY < r.maxY, s.layers.tensorCursor < layer.tensors.count else { return }
        let t = layer.tensors[s.layers.tensorCursor]
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
