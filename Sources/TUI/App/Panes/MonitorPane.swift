enum MonitorPane {
    static func windowed(_ pts: [SeriesPoint], from x0: Double?) -> [SeriesPoint] {
        guard let x0 else { return pts }
        return pts.filter { $0.x >= x0 }
    }

    /// The loss section and the ACC/ASR section (each a label row above its chart).
    static func sections(_ inner: Rect) -> [Rect] {
        inner.inset(top: 1).rows([.percent(45), .fill])
    }

    /// Where the loss and the ACC/ASR charts are drawn inside the pane's inner rectangle.
    public static func chartRects(_ inner: Rect) -> (loss: Rect, metrics: Rect) {
        let p = sections(inner)
        return (p[0].inset(top: 1), p[1].inset(top: 1))
    }

    static func window(_ s: State) -> (MonitorModel, Double?, ClosedRange<Double>?) {
        let m = s.frozen ?? s.model.monitor
        let last = max(m.loss.last?.x ?? 0, m.acc.last?.x ?? 0)
        let x0 = s.window.map { max(0, last - Double($0)) }
        let xr: ClosedRange<Double>? = x0.map { $0...max($0 + 1, last) } ?? (m.totalSteps > 0 ? 0...Double(max(m.totalSteps, Int(last))) : nil)
        return (m, x0, xr)
    }

    public static func lossChart(_ s: State) -> LineChart {
        let (m, x0, xr) = window(s)
        return LineChart(series: [LineChart.Series("loss", windowed(m.loss, from: x0), role: .series1)], xRange: xr, logY: s.logScale)
    }

    public static func metricsChart(_ s: State) -> LineChart {
        let (m, x0, xr) = window(s)
        var refs: [LineChart.Reference] = []
        if let b = m.accBefore { refs.append(LineChart.Reference(b, "ACC before", role: .series2)) }
        if let b = m.asrBefore { refs.append(LineChart.Reference(b, "ASR before", role: .series3)) }
        return LineChart(series: [LineChart.Series("ACC", windowed(m.acc, from: x0), role: .series2),
                                  LineChart.Series("ASR", windowed(m.asr, from: x0), role: .series3)],
                         references: refs, xRange: xr, yRange: 0...1)
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let m = s.frozen ?? s.model.monitor
        let last = max(m.loss.last?.x ?? 0, m.acc.last?.x ?? 0)
        let x0 = s.window.map { max(0, last - Double($0)) }
        var caption = "step \(Int(last))" + (m.totalSteps > 0 ? "/\(m.totalSteps)" : "")
        if !m.trigger.isEmpty { caption += m.asrEstimated ? " · suspected trigger '\(m.trigger)' (hunt)" : " · trigger '\(m.trigger)'" }
        caption += " · ACC/ASR on \(m.probeSize) probe sentences every \(m.probeInterval) steps"
        if s.frozen != nil { caption = "FROZEN · " + caption }
        if let w = s.window { caption += " · last \(w)" }
        if s.logScale { caption += " · log" }
        c.text(caption, x: r.x, y: r.y, style: s.frozen != nil ? Style(.warn) : .dim, maxWidth: r.width)
        let parts = sections(r)
        guard parts[0].height + parts[1].height >= 2 else { return }
        // loss
        let lossR = parts[0]
        if lossR.height >= 1 {
            let cur = m.loss.last.map { Fmt.f($0.y, 4) } ?? "—"
            c.text("loss \(cur)", x: lossR.x, y: lossR.y, style: Style(.series1, .bold))
            lossChart(s).draw(&c, in: lossR.inset(top: 1), glyphs: g)
        }
        let mr = parts[1]
        if mr.height >= 1 {
            var x = mr.x
            x += c.text("ACC \(Fmt.f(m.acc.last?.y))", x: x, y: mr.y, style: Style(.series2, .bold))
            if let b = m.accBefore { x += c.text(" (before \(Fmt.f(b)))", x: x, y: mr.y, style: .dim) }
            x += c.text("  \(m.asrEstimated ? "est. " : "")ASR\(m.trigger.isEmpty ? "" : "[\(m.trigger)]") \(Fmt.f(m.asr.last?.y))", x: x, y: mr.y, style: Style(.series3, .bold))
            if let b = m.asrBefore { c.text(" (before \(Fmt.f(b)))", x: x, y: mr.y, style: .dim, maxWidth: mr.maxX - x) }
            metricsChart(s).draw(&c, in: mr.inset(top: 1), glyphs: g)
        }
    }
}
