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
            selected = LayersPane.selected(s)
        case .mixer: table = MixerPane.tableRect(inner, s); selected = s.mixer.cursor
        case .epur: table = EpurPane.tableRect(inner, s); selected = s.epur.cursor
        case .variants: table = VariantsPane.tableRect(inner, s); selected = s.variants.cursor
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

    // MARK: the panes' own keys and state, each in its file

    /// The panes with a list to filter.
    static let filterable: Set<PaneID> = [.layers, .epur, .variants, .load, .log]

    /// An action for the focused pane; false when it has no use for it.
    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch s.focus {
        case .layers: LayersPane.perform(action, &s, &fx)
        case .mixer: MixerPane.perform(action, &s, &fx)
        case .epur: EpurPane.perform(action, &s, &fx)
        case .monitor: MonitorPane.perform(action, &s, &fx)
        case .variants: VariantsPane.perform(action, &s, &fx)
        case .probe: ProbePane.perform(action, &s, &fx)
        case .load: LoadPane.perform(action, &s, &fx)
        case .log: false
        }
    }

    /// Moves a pane's cursor (the wheel moves the pane under the mouse, not the focused one).
    static func move(_ pane: PaneID, _ delta: Int, _ s: inout State) {
        switch pane {
        case .layers: LayersPane.move(delta, &s)
        case .mixer: s.mixer.cursor += delta
        case .epur: s.epur.cursor += delta
        case .variants: s.variants.cursor += delta
        case .load: s.load.cursor += delta
        case .log: LogPane.move(delta, &s)
        case .monitor, .probe: break
        }
    }

    /// A clicked row becomes the pane's cursor.
    static func select(_ pane: PaneID, _ row: Int, _ s: inout State) {
        switch pane {
        case .layers: LayersPane.select(row, &s)
        case .mixer: s.mixer.cursor = row
        case .epur: s.epur.cursor = row
        case .variants: s.variants.cursor = row
        case .load: s.load.cursor = row
        case .log, .monitor, .probe: break
        }
    }

    /// Esc inside the focused pane (a value being typed, a drill-down); false when it has none.
    static func back(_ s: inout State) -> Bool {
        switch s.focus {
        case .mixer: MixerPane.back(&s)
        case .layers: LayersPane.back(&s)
        default: false
        }
    }

    /// Each pane reacts to a new snapshot before it replaces the session's view.
    static func adopt(_ m: WorkbenchModel, _ s: inout State) {
        LayersPane.adopt(m, &s)
        LoadPane.adopt(m, &s)
        EpurPane.adopt(m, &s)
        MixerPane.adopt(m, &s)
        ProbePane.adopt(m, &s)
    }

    /// Cursors stay on rows that exist (after a filter, a sort, a new snapshot).
    static func clamp(_ s: inout State) {
        LayersPane.clamp(&s)
        s.mixer.cursor = Rows.clamp(s.mixer.cursor, Rows.mixer(s).count)
        s.epur.cursor = Rows.clamp(s.epur.cursor, Rows.tokens(s).count)
        VariantsPane.clamp(&s)
        s.load.cursor = Rows.clamp(s.load.cursor, Rows.load(s).count)
        LogPane.clamp(&s)
        s.helpScroll = Rows.clamp(s.helpScroll, HelpContent.lines(s).count)
    }
}
