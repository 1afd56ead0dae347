/// Draws a pane in its box, and hit-tests rows for the mouse.
public enum Panes {
    static func draw(_ pane: PaneID, _ c: inout Canvas, _ rect: Rect, _ s: State, others: [PaneID], _ g: Glyphs) {
        guard !rect.isEmpty else { return }
        c.fill(rect, " ")
        var right = others.map { "\($0.rawValue) \($0.title)" }.joined(separator: " ")
        if let f = s.filters[pane] { right = "/\(f) " + right }
        let focused = s.focus == pane
        let title = "\(pane.rawValue) \(pane.title)" + (s.zoomed && focused ? " (zoomed)" : "")
        let inner = Box(title: title, focused: focused, rightTitle: right).draw(&c, in: rect, glyphs: g)
        guard !inner.isEmpty else { return }
        c.within(inner) { c in
            switch pane {
            case .layers: LayersPane.draw(&c, inner, s, g)
            case .mixer: MixerPane.draw(&c, inner, s, g)
            case .epur: EpurPane.draw(&c, inner, s, g)
            case .monitor: MonitorPane.draw(&c, inner, s, g)
            case .variants: VariantsPane.draw(&c, inner, s, g)
            case .probe: ProbePane.draw(&c, inner, s, g)
            case .log: LogPane.draw(&c, inner, s, g)
            case .load: LoadPane.draw(&c, inner, s, g)
            }
        }
    }

    /// The list row (cursor index) under a point, for a pane drawn in `rect`.
    public static func row(at y: Int, x: Int, pane: PaneID, rect: Rect, state s: State) -> Int? {
        let inner = rect.inset(by: 1)
        let table: Rect?
        let selected: Int
        switch pane {
        case .layers:
            table = LayersPane.tableRect(inner, s)
            selected = s.drill != nil ? s.tensorCursor : s.layerCursor
        case .mixer: table = MixerPane.tableRect(inner, s); selected = s.mixer.cursor
        case .epur: table = EpurPane.tableRect(inner, s); selected = s.epur.cursor
        case .variants: table = VariantsPane.tableRect(inner, s); selected = s.variantCursor
        case .load: table = LoadPane.tableRect(inner, s); selected = s.load.cursor
        default: return nil
        }
        guard let t = table, t.contains(x: x, y: y), y > t.y else { return nil }
        let count = Rows.count(pane, s)
        let visible = Table.visibleRows(height: t.height)
        let offset = Table.scrollOffset(selected: selected, offset: 0, visible: visible, count: count)
        let row = offset + (y - t.y - 1)
        return row < count ? row : nil
    }
}
