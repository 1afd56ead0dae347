import Defense

/// The Variants pane's cursor and sort.
public struct VariantsPaneState: Equatable, Sendable {
    public var cursor = 0
    public var sort = VariantSort.order
}

/// The Variants pane: every variant with ACC/ASR and how it was made, the ρ sweep below;
/// Enter makes the cursor's variant current.
enum VariantsPane {
    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .activate:
            let rows = Rows.variants(s)
            if s.variants.cursor < rows.count {
                App.issue("variant \(Command.quote(s.model.variants[rows[s.variants.cursor]].name))", &s, &fx)
            }
        case .sort: s.variants.sort = VariantSort(rawValue: (s.variants.sort.rawValue + 1) % VariantSort.allCases.count)!
        case .fineTune: App.issue("finetune", &s, &fx)
        default: return false
        }
        return true
    }

    static func clamp(_ s: inout State) {
        s.variants.cursor = Rows.clamp(s.variants.cursor, Rows.variants(s).count)
    }

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
        let sortCol: Int? = s.variants.sort == .acc ? 1 : (s.variants.sort == .asr ? 2 : nil)
        let table = Table(
            columns: cols,
            rows: rows.map { i in
                let x = v[i]
                var cells = [(x.current ? "* " : "  ") + x.name, Fmt.f(x.acc), (x.asrEstimated ? "~" : "") + Fmt.f(x.asr), Fmt.signed(x.deltaAcc), Fmt.signed(x.deltaAsr)]
                if level >= 1 { cells += [x.method, x.rho.map(Fmt.rho) ?? "—", x.epur ? "yes" : "no"] }
                if level >= 2 { cells += [x.cleanSize > 0 ? "\(x.cleanSize)" : "—", "\(x.steps)", "\(x.seed)", Fmt.duration(x.seconds)] }
                var styles = [Style](repeating: x.current ? Style(.normal, .bold) : .normal, count: cells.count)
                if let a = x.asr { styles[2] = Style(a < 0.2 ? .good : (a > 0.8 ? .bad : .warn), x.current ? .bold : []) }
                if let d = x.deltaAsr { styles[4] = Style(d < -0.5 ? .good : .normal) }
                return Table.Row(cells, cellStyles: styles)
            },
            selected: s.variants.cursor, sortColumn: sortCol, sortAscending: s.variants.sort == .asr, focused: s.focus == .variants)
        table.draw(&c, in: tr, glyphs: g)
        guard !chart.isEmpty else { return }
        var x = chart.x
        x += c.text("ρ sweep: ", x: x, y: chart.y, style: .dim)
        x += c.text("ACC", x: x, y: chart.y, style: Style(.series2, .bold))
        x += c.text(" ", x: x, y: chart.y)
        c.text("ASR", x: x, y: chart.y, style: Style(.series3, .bold))
        LineChart(series: [LineChart.Series("ACC", s.model.sweep.map { SeriesPoint($0.rho, $0.acc) }, role: .series2),
                           LineChart.Series("ASR", s.model.sweep.compactMap { p in p.asr.map { SeriesPoint(p.rho, $0) } }, role: .series3)],
                  xRange: 0...1, yRange: 0...1)
            .draw(&c, in: chart.inset(top: 1), glyphs: g)
    }
}
