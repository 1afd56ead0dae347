/// How the Monitor shows the live series: frozen at a moment, the last N steps, a log loss axis.
public struct MonitorPaneState: Equatable, Sendable {
    /// The series as they were when frozen (space resumes).
    public var frozen: LiveRun?
    /// Show only the last N steps.
    public var window: Int?
    public var logScale = false
}

/// The Monitor pane: loss and ACC/ASR of the run under way against the victim's.
enum MonitorPane {
    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .toggle:
            s.monitor.frozen = s.monitor.frozen == nil ? s.live : nil
            s.status = s.monitor.frozen == nil ? "monitor: live" : "monitor: frozen (space resumes)"
        case .logScale: s.monitor.logScale.toggle()
        case .windowIn, .windowOut:
            let total = max(10, Int(s.live.loss.last?.x ?? 10))
            let cur = s.monitor.window ?? total
            let next = action == .windowIn ? max(10, cur / 2) : cur * 2
            s.monitor.window = next >= total ? nil : next
        default: return false
        }
        return true
    }

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

    static func window(_ s: State) -> (LiveRun, Double?, ClosedRange<Double>?) {
        let m = s.monitor.frozen ?? s.live
        let last = m.lastStep
        let x0 = s.monitor.window.map { max(0, last - Double($0)) }
        let xr: ClosedRange<Double>? = x0.map { $0...max($0 + 1, last) } ?? (m.totalSteps > 0 ? 0...Double(max(m.totalSteps, Int(last))) : nil)
        return (m, x0, xr)
    }

    public static func lossChart(_ s: State) -> LineChart {
        let (m, x0, xr) = window(s)
        return LineChart(series: [LineChart.Series("loss", windowed(m.loss, from: x0), role: .series1)], xRange: xr, logY: s.monitor.logScale)
    }

    public static func metricsChart(_ s: State) -> LineChart {
        let (m, x0, xr) = window(s)
        let ref = s.model.monitor
        var refs: [LineChart.Reference] = []
        if let b = ref.accBefore { refs.append(LineChart.Reference(b, "ACC before", role: .series2)) }
        if let b = ref.asrBefore { refs.append(LineChart.Reference(b, "ASR before", role: .series3)) }
        return LineChart(series: [LineChart.Series("ACC", windowed(m.acc, from: x0), role: .series2),
                                  LineChart.Series("ASR", windowed(m.asr, from: x0), role: .series3)],
                         references: refs, xRange: xr, yRange: 0...1)
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let m = s.monitor.frozen ?? s.live
        let ref = s.model.monitor
        let last = m.lastStep
        var caption = "step \(Int(last))" + (m.totalSteps > 0 ? "/\(m.totalSteps)" : "")
        if !ref.trigger.isEmpty { caption += ref.asrEstimated ? " · suspected trigger '\(ref.trigger)' (hunt)" : " · trigger '\(ref.trigger)'" }
        caption += " · ACC/ASR on \(ref.probeSize) probe sentences every \(m.probeInterval) steps"
        if s.monitor.frozen != nil { caption = "FROZEN · " + caption }
        if let w = s.monitor.window { caption += " · last \(w)" }
        if s.monitor.logScale { caption += " · log" }
        c.text(caption, x: r.x, y: r.y, style: s.monitor.frozen != nil ? Style(.warn) : .dim, maxWidth: r.width)
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
            if let b = ref.accBefore { x += c.text(" (before \(Fmt.f(b)))", x: x, y: mr.y, style: .dim) }
            x += c.text("  \(ref.asrEstimated ? "est. " : "")ASR\(ref.trigger.isEmpty ? "" : "[\(ref.trigger)]") \(Fmt.f(m.asr.last?.y))", x: x, y: mr.y, style: Style(.series3, .bold))
            if let b = ref.asrBefore { c.text(" (before \(Fmt.f(b)))", x: x, y: mr.y, style: .dim, maxWidth: mr.maxX - x) }
            metricsChart(s).draw(&c, in: mr.inset(top: 1), glyphs: g)
        }
    }
}
