import Defense

/// The analyst's edits of the E-PUR ranking: rows ticked off and the N to run next. They refer to
/// the ranking they were made on; a new ranking starts them afresh.
public struct EpurPaneState: Equatable, Sendable {
    /// Token ids ticked off (kept as they are by the next Enter).
    public var unticked: Set<Int> = []
    /// N set with +/-; nil: the ranking's own.
    public var top: Int?
    public var cursor = 0
    public var sort = TokenSort.score
}

/// The E-PUR pane: the ranking of suspicious embedding rows; Enter purifies with what it shows.
enum EpurPane {
    static func top(_ s: State) -> Int { s.epur.top ?? s.model.epur.top }

    /// Whether a row (by rank in the ranking) will be reset by Enter: within N, not ticked off.
    static func ticked(_ rank: Int, _ s: State) -> Bool {
        rank < top(s) && !s.epur.unticked.contains(s.model.epur.tokens[rank].id)
    }

    static func tickedTokens(_ s: State) -> [String] {
        s.model.epur.tokens.indices.filter { ticked($0, s) }.map { s.model.epur.tokens[$0].token }
    }

    /// A new ranking (another run, another variant's) makes the old ticks meaningless.
    static func adopt(_ next: WorkbenchModel, _ s: inout State) {
        let old = s.model.epur
        if next.epur.tokens != old.tokens || next.epur.madeVariant != old.madeVariant {
            s.epur.unticked = []
            s.epur.top = nil
        }
    }

    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .activate: App.issue(command(s), &s, &fx)
        case .toggle: toggle(&s)
        case .sort: s.epur.sort = TokenSort(rawValue: (s.epur.sort.rawValue + 1) % TokenSort.allCases.count)!
        case .windowIn: stepTop(10, &s)
        case .windowOut: stepTop(-10, &s)
        case .adoptTrigger: adoptTrigger(&s, &fx)
        default: return false
        }
        return true
    }

    static func toggle(_ s: inout State) {
        let rows = Rows.tokens(s)
        guard s.epur.cursor < rows.count else { return }
        let rank = rows[s.epur.cursor]
        guard rank < top(s) else { s.status = "below N: + raises N to include it"; return }
        let id = s.model.epur.tokens[rank].id
        if s.epur.unticked.contains(id) { s.epur.unticked.remove(id) } else { s.epur.unticked.insert(id) }
    }

    static func stepTop(_ delta: Int, _ s: inout State) {
        s.epur.top = max(10, top(s) + delta)
    }

    /// What the pane shows, as a command: the top N of a fresh ranking when no row was ticked off,
    /// else exactly the ticked rows (each token quoted: `##` word pieces must survive the parser).
    static func command(_ s: State) -> String {
        let e = s.model.epur
        var cmd = "epur top=\(top(s)) fmin=\(fminText(e.fMin))"
        let dropped = e.tokens.indices.contains { $0 < top(s) && s.epur.unticked.contains(e.tokens[$0].id) }
        if dropped && !e.stale {
            cmd += " reset=" + Command.quote(tickedTokens(s).joined(separator: ","))
        }
        return cmd
    }

    static func fminText(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }

    /// The score s = δ / log(max(f, f_min)) is small (δ is a relative drift): three significant
    /// digits keep neighbouring rows apart.
    static func score(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        return v != 0 && abs(v) < 0.1 ? String(format: "%.2e", v) : String(format: "%.3f", v)
    }

    /// Summary lines above the table: settings and counts, then the candidates when there is room.
    static func summaryRows(_ inner: Rect) -> Int { inner.height >= 8 ? 2 : 1 }

    static func tableRect(_ inner: Rect, _ s: State) -> Rect { inner.inset(top: summaryRows(inner)) }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let e = s.model.epur
        let cands = e.tokens.filter(\.candidate).map(\.token)
        var head = "N \(top(s)) · f_min \(fminText(e.fMin)) · ticked \(tickedTokens(s).count)/\(e.tokens.count)"
        if let n = e.rowsReset { head += " · last run reset \(n) rows" }
        if e.stale {
            c.text("ranked on \(e.madeVariant), not the current variant: Enter ranks the current one", x: r.x, y: r.y,
                   style: Style(.warn, .bold), maxWidth: r.width)
        } else {
            c.text(head, x: r.x, y: r.y, style: .normal, maxWidth: r.width)
        }
        if summaryRows(r) == 2 && !cands.isEmpty {
            c.text("candidates: " + cands.joined(separator: " "), x: r.x, y: r.y + 1, style: Style(.highlight, .bold), maxWidth: r.width)
        }
        let rows = Rows.tokens(s)
        let wide = r.width >= 46
        var cols = [Table.Column("", .fixed(3)), Table.Column("Token", .fill(2)), Table.Column("δ", .fixed(6), .right),
                    Table.Column("f", .fixed(5), .right), Table.Column("s", .fixed(8), .right)]
        if wide { cols.insert(Table.Column("Id", .fixed(6), .right), at: 2) }
        let sortCol: Int = {
            switch s.epur.sort {
            case .score: return wide ? 5 : 4
            case .drift: return wide ? 3 : 2
            case .freq: return wide ? 4 : 3
            }
        }()
        let table = Table(
            columns: cols,
            rows: rows.map { i in
                let t = e.tokens[i]
                let on = ticked(i, s)
                var cells = [on ? g.check : g.uncheck, t.token, Fmt.f(t.drift, 3), Fmt.f(t.freq, 0), score(t.score)]
                if wide { cells.insert("\(t.id)", at: 2) }
                let style: Style = e.stale ? .dim : (t.candidate ? Style(.warn, .bold) : (on ? .normal : .dim))
                return Table.Row(cells, style: style)
            },
            selected: s.epur.cursor, sortColumn: sortCol, sortAscending: s.epur.sort == .freq, focused: s.focus == .epur)
        table.draw(&c, in: tableRect(r, s), glyphs: g)
    }
}
