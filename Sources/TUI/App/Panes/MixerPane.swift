import Defense

/// The Mixer's knobs (the arguments of the next `mix`), its cursor and the value being typed.
public struct MixerPaneState: Equatable, Sendable {
    public var knobs = MixKnobs()
    public var cursor = 0
    /// The ρ being typed after the edit key; nil when not editing (digits then focus panes).
    public var entry: String?
    /// The knobs the ρ landscape was last asked for (selection, seed, ρ); nil before the Mixer
    /// was first focused.
    public var requested: LandscapeRequest?
}

public struct LandscapeRequest: Equatable, Sendable {
    public var select: SelectionRule
    public var seed: Int
    public var rho: Double
}

/// The Mixer pane: ρ, rule, seed and scope of the next mix, with a preview per layer.
enum MixerPane {
    /// A mix run from the palette or a script becomes what the Mixer shows.
    static func adopt(_ next: WorkbenchModel, _ s: inout State) {
        if let a = next.mixer.applied, a != s.model.mixer.applied { s.mixer.knobs = a }
    }

    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .left, .rhoDown: stepRho(-0.05, &s)
        case .right, .rhoUp: stepRho(0.05, &s)
        case .activate: for c in commands(s) { App.issue(c, &s, &fx) }
        case .fineTune: App.issue("finetune", &s, &fx)
        case .rule: cycleRule(&s)
        case .scope: s.mixer.knobs.scope = s.mixer.knobs.scope == .global ? .layer : .global
        case .edit: s.mixer.entry = ""
        default: return false
        }
        return true
    }

    /// Esc drops a ρ being typed.
    static func back(_ s: inout State) -> Bool {
        guard s.mixer.entry != nil else { return false }
        s.mixer.entry = nil
        return true
    }

    /// The layer whose ρ the keys set: the cursor's row in per-layer scope, else none (global ρ).
    static func layerUnderCursor(_ s: State) -> String? {
        guard s.mixer.knobs.scope == .layer, s.mixer.cursor < s.model.mixer.layers.count else { return nil }
        return s.model.mixer.layers[s.mixer.cursor].name
    }

    static func setRho(_ v: Double, _ s: inout State) {
        let r = (min(max(v, 0), 1) * 100).rounded() / 100
        if let layer = layerUnderCursor(s) { s.mixer.knobs.layerRho[layer] = r } else { s.mixer.knobs.rho = r }
    }

    static func stepRho(_ delta: Double, _ s: inout State) {
        let cur = layerUnderCursor(s).map { s.mixer.knobs.rho(for: $0) } ?? s.mixer.knobs.rho
        setRho(cur + delta, &s)
    }

    static func cycleRule(_ s: inout State) {
        let all = SelectionRule.allCases
        s.mixer.knobs.select = all[(all.firstIndex(of: s.mixer.knobs.select)! + 1) % all.count]
    }

    /// While editing, digits and '.' type an exact ρ: "0.35", ".35" and "35" (percent) all mean
    /// 0.35. Returns false for keys it leaves to the key map.
    static func entryKey(_ k: Key, _ s: inout State) -> Bool {
        guard let entry = s.mixer.entry else { return false }
        switch k {
        case .char(let c) where c.isASCII && (c.isNumber || c == "."):
            if entry.count < 5 { s.mixer.entry = entry + String(c) }
        case .backspace:
            s.mixer.entry = String(entry.dropLast())
        case .enter:
            s.mixer.entry = nil
            if let v = App.parseRho(entry) { setRho(v, &s) } else { s.status = "ρ '\(entry)' is not a number in 0…1 (or 0…100%)" }
        case .escape:
            s.mixer.entry = nil
        default:
            return false
        }
        return true
    }

    /// Once the Mixer has been focused, the landscape follows its knobs: a new selection or seed
    /// is a new landscape; a new ρ is computed first.
    static func requestLandscape(_ s: inout State, _ fx: inout [Effect]) {
        guard s.focus == .mixer || s.mixer.requested != nil else { return }
        let k = s.mixer.knobs
        let r = LandscapeRequest(select: k.select, seed: k.seed, rho: k.rho)
        guard r != s.mixer.requested else { return }
        s.mixer.requested = r
        fx.append(.landscape(select: r.select, seed: r.seed, rho: r.rho))
    }

    /// The commands Enter sends: per-layer ρ first (the session keeps them for the mix), then the
    /// mix; when the landscape already fine-tuned this very mix, `finetune` too, which takes the
    /// trained model from the landscape instead of training again.
    static func commands(_ s: State) -> [String] {
        let k = s.mixer.knobs
        var out: [String] = []
        if k.scope == .layer {
            for row in s.model.mixer.layers {
                if let r = k.layerRho[row.name] { out.append("rho \(Command.quote(row.name)) \(Fmt.rho(r))") }
            }
        }
        out.append("mix \(Fmt.rho(k.rho)) select=\(k.select.rawValue) seed=\(k.seed)")
        if pointTrained(s) { out.append("finetune seed=\(k.seed)") }
        return out
    }

    /// Whether the slider sits on a Fine-mixing point of the landscape that kept its model.
    static func pointTrained(_ s: State) -> Bool {
        let k = s.mixer.knobs, l = s.model.mixer.landscape
        return k.scope == .global && l.select == k.select && l.seed == k.seed && l.isTrained(k.rho)
    }

    /// Rows above the per-layer table: settings, slider (2 rows), hint.
    static func headerRows(_ r: Rect) -> Int { r.height >= 8 ? 4 : 2 }

    /// Rows of the landscape chart under the slider (title and plot), by the pane's height.
    static func chartRows(_ r: Rect) -> Int { r.height >= 18 ? 8 : r.height >= 11 ? 5 : 0 }

    static func tableRect(_ inner: Rect, _ s: State) -> Rect { inner.inset(top: headerRows(inner) + chartRows(inner)) }

    /// The key hint, from the live key map (a key unbound in keys.conf is not advertised).
    static func hint(_ s: State) -> String {
        let km = s.keymap
        var parts: [String] = []
        let steps = (km.keys(for: .rhoDown) + km.keys(for: .rhoUp)).map(\.hintName)
        if !steps.isEmpty { parts.append(steps.joined(separator: " ") + " ±0.05") }
        if let e = km.hint(.edit) { parts.append("\(e) type ρ") }
        if let r = km.hint(.rule) { parts.append("\(r) rule") }
        if let p = km.hint(.scope) { parts.append("\(p) scope") }
        if let a = km.hint(.activate) { parts.append("\(a) " + (pointTrained(s) ? "adopt the Fine-mixing point" : "mix")) }
        if let f = km.hint(.fineTune) { parts.append("\(f) fine-tune") }
        return parts.joined(separator: " · ")
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let m = s.model.mixer
        let k = s.mixer.knobs
        let perLayer = k.scope == .layer
        var x = r.x
        x += c.text("ρ ", x: x, y: r.y, style: .dim)
        x += c.text(Fmt.rho(k.rho), x: x, y: r.y, style: Style(.accent, .bold))
        x += c.text(" kept from victim", x: x, y: r.y, style: .dim)
        let settings = "  select \(k.select.rawValue) · seed \(k.seed) · scope \(perLayer ? "per layer" : "global")"
        c.text(settings, x: x, y: r.y, style: .normal, maxWidth: r.maxX - x)
        let sliderRows = headerRows(r) >= 4 ? 2 : 1
        Slider(value: k.rho, focused: s.focus == .mixer).draw(&c, in: Rect(x: r.x, y: r.y + 1, width: r.width, height: sliderRows), glyphs: g)
        if headerRows(r) >= 4 {
            let hy = r.y + 3
            if let e = s.mixer.entry {
                let target = layerUnderCursor(s).map { "ρ[\($0)]" } ?? "ρ"
                c.text("\(target) := \(e)_  digits type ρ · Enter sets · Esc cancels", x: r.x, y: hy, style: Style(.warn, .bold), maxWidth: r.width)
            } else {
                c.text(hint(s), x: r.x, y: hy, style: .dim, maxWidth: r.width)
            }
        }
        let chartRows = chartRows(r)
        if chartRows > 0 {
            drawLandscape(&c, Rect(x: r.x, y: r.y + headerRows(r), width: r.width, height: chartRows), s, g)
        }
        let tr = tableRect(r, s)
        guard tr.height >= 2 else { return }
        let total = m.layers.reduce(0) { $0 + $1.parameters }
        let keptTotal = m.layers.reduce(0.0) { $0 + Double($1.parameters) * k.rho(for: $1.name) }
        let table = Table(
            columns: [Table.Column("Layer", .fill(3)), Table.Column("ρ", .fixed(4), .right), Table.Column("Kept", .fixed(6), .right),
                      Table.Column("‖Δ‖² kept", .fill(2))],
            rows: m.layers.map { row in
                let rho = k.rho(for: row.name)
                return Table.Row([row.name, Fmt.rho(rho), Fmt.count(Int(Double(row.parameters) * rho)), ""],
                                 style: perLayer && k.layerRho[row.name] != nil ? Style(.accent) : .normal)
            },
            selected: perLayer || s.focus == .mixer ? s.mixer.cursor : nil, focused: s.focus == .mixer)
        table.draw(&c, in: tr, glyphs: g)
        let widths = table.columnWidths(in: tr)
        let barX = tr.x + widths[0] + widths[1] + widths[2] + 3
        let visible = Table.visibleRows(height: tr.height)
        let first = Table.scrollOffset(selected: s.mixer.cursor, offset: 0, visible: visible, count: m.layers.count)
        for line in 0..<visible where first + line < m.layers.count {
            let row = m.layers[first + line]
            let cell = Rect(x: barX, y: tr.y + 1 + line, width: widths[3], height: 1)
            if let kept = row.kept(at: k.rho(for: row.name), rule: k.select) {
                Bar(value: kept, style: Style(ColorRole.heat(kept))).draw(&c, in: cell, glyphs: g)
            } else {
                c.text("measuring…", x: cell.x, y: cell.y, style: .dim, maxWidth: cell.width)
            }
        }
        // Total in the header row of the last column, space permitting.
        let sum = "\(Fmt.count(Int(keptTotal)))/\(Fmt.count(total))"
        if widths[3] > sum.count + 10 {
            c.text(sum, x: tr.maxX - sum.count, y: tr.y, style: .dim)
        }
    }
}

// MARK: the ρ landscape under the slider

extension MixerPane {
    /// The chart's points: the landscape's for the knobs, and a `sweep`'s (the one under way,
    /// else the last) at the ρ the landscape has not reached.
    static func landscapePoints(_ s: State) -> [SweepPoint] {
        var byRho: [Int: SweepPoint] = [:]
        let key = { (p: SweepPoint) in Int((p.rho * 100).rounded()) }
        for p in s.live.sweep.isEmpty ? s.model.sweep : s.live.sweep { byRho[key(p)] = p }
        for p in s.model.mixer.landscape.points { byRho[key(p)] = p }
        return byRho.keys.sorted().map { byRho[$0]! }
    }

    /// A title row (the legend and the figures at the slider's ρ), the chart (mixing only dim,
    /// Fine-mixing bright, the slider's ρ marked on the x axis) and a status row (what is
    /// computing, how many Fine-mixing points, the estimate's trigger).
    static func drawLandscape(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let l = s.model.mixer.landscape
        let points = landscapePoints(s)
        let basis = points.lazy.compactMap(\.asrBasis).first
        let rho = s.mixer.knobs.rho
        var x = r.x
        x += c.text("ACC", x: x, y: r.y, style: Style(.good, .bold))
        x += c.text("/", x: x, y: r.y, style: .dim)
        x += c.text(basis?.label ?? "ASR", x: x, y: r.y, style: Style(.bad, .bold))
        var figures: [String] = []
        if let p = points.first(where: { abs($0.rho - rho) < 0.005 }) {
            if let a = p.mixAcc { figures.append("mix \(Fmt.percent(a))/\(Fmt.percent(p.mixAsr))") }
            if let a = p.fmixAcc { figures.append("FMix \(Fmt.percent(a))/\(Fmt.percent(p.fmixAsr))" + (l.isTrained(rho) ? " (Enter adopts)" : "")) }
        }
        c.text(" at ρ \(Fmt.rho(rho)): " + (figures.isEmpty ? "not computed" : figures.joined(separator: " · ")),
               x: x, y: r.y, style: .dim, maxWidth: r.maxX - x)
        var status: [String] = []
        if let (cr, fm) = l.computing {
            status.append((l.paused ? "paused at " : "computing ") + (fm ? "Fine-mixing" : "mixing") + " ρ \(Fmt.rho(cr))")
        } else if let problem = l.problem {
            status.append(problem)
        }
        if !points.isEmpty { status.append("FMix \(points.filter { $0.fmixAcc != nil }.count)/\(points.count)") }
        if let b = basis, b.estimated { status.append("est. with \(b.trigger)") }
        if l.probeSize > 0, l.points.contains(where: { $0.mixAcc != nil }) { status.append("mix on \(l.probeSize) sentences") }
        c.text(status.joined(separator: " · "), x: r.x, y: r.maxY - 1, style: .dim, maxWidth: r.width)
        let plot = Rect(x: r.x, y: r.y + 1, width: r.width, height: r.height - 2)
        guard plot.height >= 2 else { return }
        let mixAcc = points.compactMap { p in p.mixAcc.map { SeriesPoint(p.rho, $0) } }
        let mixAsr = points.compactMap { p in p.mixAsr.map { SeriesPoint(p.rho, $0) } }
        let fmAcc = points.compactMap { p in p.fmixAcc.map { SeriesPoint(p.rho, $0) } }
        let fmAsr = points.compactMap { p in p.fmixAsr.map { SeriesPoint(p.rho, $0) } }
        let chart = LineChart(series: [LineChart.Series("mix ACC", mixAcc, role: .series2),
                                       LineChart.Series("mix ASR", mixAsr, role: .series3),
                                       LineChart.Series("FMix ACC", fmAcc, role: .good),
                                       LineChart.Series("FMix ASR", fmAsr, role: .bad)],
                              xRange: 0...1, yRange: 0...1)
        chart.draw(&c, in: plot, glyphs: g)
        // The slider's ρ: a mark on the x axis under the plot.
        let geo = chart.geometry(in: plot, ascii: g.ascii)
        if let cell = geo.cell(SeriesPoint(rho, 0), ascii: g.ascii), geo.plot.maxY < plot.maxY {
            c.put(g.knob, x: cell.x, y: geo.plot.maxY, style: Style(s.focus == .mixer ? .focus : .accent, .bold))
        }
    }
}
