enum VariantsPane {
    static func split(_ inner: Rect, _ s: State) -> (table: Rect, chart: Rect) {
        guard !s.model.sweep.isEmpty, inner.height >= 12 else { return (inner, .zero) }
        let parts = inner.rows([.fill, .percent(45)])
        return (parts[0], parts[1])
    }

    static func tableRect(_ inner: Rect, _ s: State) -> Rect { split(inner, s).table }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let (tr, chart) = split(r, s)
        let rows = Rows.variants(s)
        let v = s.model.variants
        let level = tr.width >= 100 ? 2 : (tr.width >= 60 ? 1 : 0)
        var cols = [Table.Column("Variant", .fill(3)), Table.Column("ACC", .fixed(5), .right), Table.Column("ASR", .fixed(5), .right),
                    Table.Column("ΔACC", .fixed(6), .right), Table.Column("ΔASR", .fixed(6), .right)]
        if level >= 1 { cols += [Table.Column("Method", .fill(2)), Table.Column("ρ", .fixed(4), .right), Table.Column("E-PUR", .fixed(5))] }
        if level >= 2 {
            cols += [Table.Column("Clean", .fixed(5), .right), Table.Column("Steps", .fixed(5), .right),
                     Table.Column("Seed", .fixed(4), .right), Table.Column("Time", .fixed(6), .right)]
        }
        let sortCol: Int? = s.variantSort == .acc ? 1 : (s.variantSort == .asr ? 2 : nil)
        let table = Table(
            columns: cols,
            rows: rows.map { i in
                let x = v[i]
                var cells = [(x.current ? "* " : "  ") + x.name, Fmt.f(x.acc), Fmt.f(x.asr), Fmt.signed(x.deltaAcc), Fmt.signed(x.deltaAsr)]
                if level >= 1 { cells += [x.method, x.rho.map(Fmt.rho) ?? "—", x.epur ? "yes" : "no"] }
                if level >= 2 { cells += [x.cleanSize > 0 ? "\(x.cleanSize)" : "—", "\(x.steps)", "\(x.seed)", Fmt.duration(x.seconds)] }
                var styles = [Style](repeating: x.current ? Style(.normal, .bold) : .normal, count: cells.count)
                if let a = x.asr { styles[2] = Style(a < 0.2 ? .good : (a > 0.8 ? .bad : .warn), x.current ? .bold : []) }
                if let d = x.deltaAsr { styles[4] = Style(d < -0.5 ? .good : .normal) }
                return Table.Row(cells, cellStyles: styles)
            },
            selected: s.variantCursor, sortColumn: sortCol, sortAscending: s.variantSort == .asr, focused: s.focus == .variants)
        table.draw(&c, in: tr, glyphs: g)
        guard !chart.isEmpty else { return }
        var x = chart.x
        x += c.text("ρ sweep: ", x: x, y: chart.y, style: .dim)
        x += c.text("ACC", x: x, y: chart.y, style: Style(.series2, .bold))
        x += c.text(" ", x: x, y: chart.y)
        c.text("ASR", x: x, y: chart.y, style: Style(.series3, .bold))
        LineChart(series: [LineChart.Series("ACC", s.model.sweep.map { SeriesPoint($0.rho, $0.acc) }, role: .series2),
                           LineChart.Series("ASR", s.model.sweep.map { SeriesPoint($0.rho, $0.asr) }, role: .series3)],
                  xRange: 0...1, yRange: 0...1)
            .draw(&c, in: chart.inset(top: 1), glyphs: g)
    }
}

enum ProbePane {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let p = s.model.probe
        s.probeField.draw(&c, in: Rect(x: r.x, y: r.y, width: r.width, height: 1), prompt: g.pointer + " ",
                          focused: s.probeEditing, placeholder: "i: type a sentence")
        var y = r.y + 1
        let labelW = min(16, max(6, r.width / 4))
        for pr in p.predictions where y < r.maxY - (r.height >= 5 ? 1 : 0) {
            var x = r.x
            x += c.text(pr.variant.padded(to: labelW), x: x, y: y, style: .normal) + 1
            let role: ColorRole = pr.label == "positive" ? .good : .bad
            x += c.text(pr.label.padded(to: 9), x: x, y: y, style: Style(role, .bold)) + 1
            let barW = max(0, min(20, r.maxX - x - 7))
            Bar(value: pr.confidence, style: Style(role)).draw(&c, in: Rect(x: x, y: y, width: barW, height: 1), glyphs: g)
            c.text(Fmt.f(pr.confidence, 3), x: x + barW + 1, y: y, style: .dim)
            y += 1
        }
        if y < r.maxY {
            let cand = s.model.epur.tokens.first(where: \.candidate)?.token
            let reset = p.resetTokens.isEmpty ? "none" : p.resetTokens.joined(separator: " ")
            var line = "E-PUR would reset: \(reset)"
            if let cand { line += " · t inserts '\(cand)'" }
            c.text(line, x: r.x, y: r.maxY - 1, style: Style(.warn), maxWidth: r.width)
        }
    }
}

enum LogPane {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let lines = Rows.log(s).map { s.model.log[$0] }
        LogView(lines: lines, scrollBack: s.logScroll).draw(&c, in: r, glyphs: g)
    }
}

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
