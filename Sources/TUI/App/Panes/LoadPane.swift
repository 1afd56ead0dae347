import Defense

/// What the analyst chose in the Load pane: no snapshot changes it.
public struct LoadPaneState: Equatable, Sendable {
    public var target = LoadTarget.pre
    public var cursor = 0
}

/// The Load pane: a file browser whose Enter loads a checkpoint as the chosen role or a dataset.
enum LoadPane {
    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .left, .rhoDown: cycleTarget(-1, &s)
        case .right, .rhoUp: cycleTarget(1, &s)
        case .activate: activate(&s, &fx)
        case .refresh: refresh(s, &fx)
        default: return false
        }
        return true
    }

    static func cycleTarget(_ d: Int, _ s: inout State) {
        let all = LoadTarget.allCases
        let i = all.firstIndex(of: s.load.target)!
        s.load.target = all[(i + d + all.count) % all.count]
    }

    /// A new listing: a filter typed for the old folder would hide the new one's entries.
    static func adopt(_ next: WorkbenchModel, _ s: inout State) {
        guard next.load.directory != s.model.load.directory else { return }
        s.filters[.load] = nil
        if s.filterField != nil && s.focus == .load { s.filterField = nil }
        s.load.cursor = 0
    }

    /// Lists the folder again (new folders appear), keeping the cursor.
    static func refresh(_ s: State, _ fx: inout [Effect]) {
        if !s.model.load.directory.isEmpty { fx.append(.browse(s.model.load.directory)) }
    }

    static func activate(_ s: inout State, _ fx: inout [Effect]) {
        let rows = Rows.load(s)
        guard s.load.cursor < rows.count else { return }
        let l = s.model.load
        let e = l.entries[rows[s.load.cursor]]
        let path = e.name == ".." ? parent(l.directory) : join(l.directory, e.name)
        switch e.kind {
        case .directory: fx.append(.browse(path))
        case .checkpoint:
            switch s.load.target {
            case .pre, .victim:
                let line = "load \(s.load.target.rawValue) \(Command.quote(path))"
                App.appendLog(&s, LogLine(level: .command, text: line))
                fx.append(.load(line))
            case .clean, .test:
                s.status = "\(e.name) is a checkpoint: ←→ choose pre or victim to load it"
            }
        case .dataset: App.issue("data \(Command.quote(path))", &s, &fx)
        case .file: s.status = "\(e.name) is neither a checkpoint folder nor a dataset"
        }
    }

    static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/"), i != p.startIndex else { return "/" }
        return String(p[..<i])
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

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
            let on = t == s.load.target
            x += c.text(on ? "[\(t.rawValue)]" : " \(t.rawValue) ", x: x, y: r.y, style: on ? Style(.accent, .bold) : .dim)
        }
        c.text("  ←→" + (s.keymap.hint(.refresh).map { " · \($0) refresh" } ?? ""), x: x, y: r.y, style: .dim)
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
              selected: s.load.cursor, focused: s.focus == .load).draw(&c, in: tr, glyphs: g)
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
