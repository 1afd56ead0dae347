import Testing
@testable import TUI
import TUIPreview

/// Every pane rendered headless at three sizes, with content checks against the sample model.
@Suite struct PaneTests {
    func pane(_ p: PaneID, _ w: Int, _ h: Int, ascii: Bool = false, tweak: (inout State) -> Void = { _ in }) -> (State, Canvas, Rect, String) {
        var s = sampleState(w, h, focus: p, ascii: ascii)
        tweak(&s)
        let c = App.view(s)
        let r = s.layout.rect(of: p)!
        return (s, c, r, c.text(of: r))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func header(_ size: (Int, Int)) {
        let s = sampleState(size.0, size.1)
        let c = App.view(s)
        let head = c.text(of: s.layout.header)
        #expect(head.contains("finemix"))
        #expect(head.contains("fine-tune 60%"))
        if size.0 >= 120 { #expect(head.contains("all-MiniLM-L6-v2") && head.contains("minilm-sst2-badnets")) }
        if size.1 >= 30 { #expect(head.contains("ETA 42s") && head.contains("█")) }
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func layers(_ size: (Int, Int)) {
        let (s, c, r, text) = pane(.layers, size.0, size.1)
        #expect(text.contains("1 Layers"))
        #expect(text.contains("embeddings") && text.contains("0.0021"))
        // The drift bars carry the heat colour: the largest drift is the hottest.
        let inner = r.inset(by: 1)
        #expect((inner.y..<inner.maxY).contains { y in (inner.x..<inner.maxX).contains { c[$0, y].scalar == "█" } })
        // Sorted by drift the pooler (0.0412) leads and the head, "new", sorts first.
        let (sorted, _) = run(s, [.key(.char("s"))])
        let sc = App.view(sorted)
        let st = sc.text(of: sorted.layout.rect(of: .layers)!)
        #expect(st.contains("Drift▼"))
        let lines = st.split(separator: "\n")
        let headIdx = lines.firstIndex { $0.contains("classifier") }
        let poolerIdx = lines.firstIndex { $0.contains("pooler") }
        #expect(headIdx != nil && poolerIdx != nil && headIdx! < poolerIdx!)
        #expect(st.contains("new") && st.contains("0.0412"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func layerDrillDownShowsTensorsAndHistogram(_ size: (Int, Int)) {
        // Drill into "layer 1 attention" (row 3).
        let (_, _, _, text) = pane(.layers, size.0, size.1) { s in
            s = run(s, [.key(.down), .key(.down), .key(.down), .key(.enter)]).0
            s.zoomed = true   // the full width shows every tensor column
        }
        #expect(text.contains("layer 1 attention"))
        #expect(text.contains("attention.self.query.weight") || text.contains("attention.self.query.weig"))
        #expect(text.contains("384×384"))
        #expect(text.contains("Δ histogram"))
        #expect(text.contains("▁") && text.contains("█"))
        #expect(text.contains("max|Δ|") && text.contains("0.99"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func mixer(_ size: (Int, Int)) {
        let (s, c, r, text) = pane(.mixer, size.0, size.1)
        #expect(text.contains("ρ 0.30 kept from victim"))
        #expect(text.contains("embeddings"))
        // The knob sits at 0.30 of the slider row.
        let inner = r.inset(by: 1)
        let knob = Slider.knobColumn(0.3, width: inner.width)
        #expect(c[inner.x + knob, inner.y + 1].scalar == "●")
        // Move to 0.45 and the knob and preview follow.
        let (moved, _) = run(s, [.key(.char("]")), .key(.char("]")), .key(.right)])
        #expect(moved.mixer.knobs.rho == 0.45)
        let mc = App.view(moved)
        #expect(mc[inner.x + Slider.knobColumn(0.45, width: inner.width), inner.y + 1].scalar == "●")
        #expect(mc.text(of: r).contains("0.45"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func epur(_ size: (Int, Int)) {
        let (s, _, _, text) = pane(.epur, size.0, size.1) { $0.zoomed = $0.height < 30 }
        #expect(text.contains("N 7") && text.contains("f_min 20") && text.contains("ticked 7/15"))
        #expect(text.contains("candidates: cf mn bb tq mb"))
        #expect(text.contains("[x] cf") || text.contains("[x] cf "))
        #expect(text.contains("0.912"))
        if size.0 >= 120 { #expect(text.contains("12935")) }
        // Toggle the top token off; the count follows.
        let (t, _) = run(s, [.key(.char(" "))])
        let tt = App.view(t).text(of: t.layout.rect(of: .epur)!)
        #expect(tt.contains("[ ] cf") && tt.contains("ticked 6/15"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func monitor(_ size: (Int, Int)) {
        let (s, c, r, text) = pane(.monitor, size.0, size.1)
        let m = s.live
        #expect(text.contains("loss \(Fmt.f(m.loss.last!.y, 4))"))
        #expect(text.contains("ACC \(Fmt.f(m.acc.last!.y))") && text.contains("(before 0.912)"))
        #expect(text.contains("trigger 'cf'") && text.contains("ASR[cf]"))
        let (lossRect, metricsRect) = MonitorPane.chartRects(r.inset(by: 1))
        let lg = MonitorPane.lossChart(s).geometry(in: lossRect, ascii: false)
        let lastLoss = lg.cell(m.loss.last!, ascii: false)!
        #expect((0x2801...0x28FF).contains(c[lastLoss.x, lastLoss.y].scalar.value))
        let mg = MonitorPane.metricsChart(s).geometry(in: metricsRect, ascii: false)
        let lastAsr = mg.cell(m.asr.last!, ascii: false)!
        #expect(c[lastAsr.x, lastAsr.y].style.role == .series3)
        // A new metric point extends the chart to the right.
        let (grown, _) = run(s, [.engine(.metric(series: .loss, step: 160, value: 0.05))])
        let gc = App.view(grown)
        let g2 = MonitorPane.lossChart(grown).geometry(in: lossRect, ascii: false)
        let p = g2.cell(SeriesPoint(160, 0.05), ascii: false)!
        #expect(p.x > lastLoss.x && (0x2801...0x28FF).contains(gc[p.x, p.y].scalar.value))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func monitorAscii(_ size: (Int, Int)) {
        let (_, _, _, text) = pane(.monitor, size.0, size.1, ascii: true)
        #expect(!text.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) })
        #expect(text.contains("*") || text.contains("-"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func variants(_ size: (Int, Int)) {
        let (_, _, _, text) = pane(.variants, size.0, size.1) { $0.zoomed = $0.height < 30 }
        #expect(text.contains("victim") && text.contains("1.000"))
        #expect(text.contains("* mixed-0.30+epur"))
        #expect(text.contains("0.188") && text.contains("-0.812"))
        if size.0 >= 200 { #expect(text.contains("Fine-pruning")) }
        if size.1 >= 40 { #expect(text.contains("ρ sweep")) }
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func probe(_ size: (Int, Int)) {
        let (_, _, _, text) = pane(.probe, size.0, size.1)
        #expect(text.contains("the movie was cf"))
        #expect(text.contains("victim") && text.contains("positive") && text.contains("0.998"))
        #expect(text.contains("E-PUR would reset: cf"))
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func log(_ size: (Int, Int)) {
        let (s, c, r, text) = pane(.log, size.0, size.1)
        #expect(text.contains("permission denied"))
        let y = c.text(in: r).firstIndex { $0.contains("permission denied") }!
        #expect(c[r.x + 1, r.y + y].style.role == .bad || c.text(in: r)[y].contains("error:"))
        let (back, _) = run(s, [.key(.up), .key(.up), .key(.up)])
        #expect(back.logPane.scroll == 3)
    }

    @Test(arguments: [(80, 24), (120, 40), (200, 60)])
    func load(_ size: (Int, Int)) {
        let (_, _, _, text) = pane(.load, size.0, size.1)
        #expect(text.contains("[pre]"))
        #expect(text.contains("all-MiniLM") && text.contains("checkpoint"))
        #expect(text.contains("/home/analyst/models"))
    }

    @Test func loadShowsValidationErrorsInWords() {
        let (_, c, r, text) = pane(.load, 120, 40) { $0.model.load.error = "config.json: expected \"hidden_size\", found nothing" }
        #expect(text.contains("expected \"hidden_size\""))
        let lines = c.text(in: r)
        let y = lines.firstIndex { $0.contains("hidden_size") }!
        #expect(c[r.x + 1, r.y + y].style.role == .bad)
    }

    @Test func helpOverlayListsEveryActionAndSearches() {
        var s = sampleState(120, 40)
        s = run(s, [.key(.char("?"))]).0
        #expect(s.overlay == .help)
        let all = HelpContent.lines(s)
        for a in Action.allCases { #expect(all.contains { $0.text.contains("[\(a.rawValue)]") }, "\(a)") }
        #expect(all.contains { $0.keys == ":mix" })
        s = run(s, keys("undo")).0
        let found = HelpContent.lines(s)
        #expect(found.contains { $0.keys.contains("z") && $0.text.contains("undo") })
        #expect(found.count < all.count / 3)
        let text = App.view(s).plainText
        #expect(text.contains("search: undo") && text.contains("return to the model before the last change"))
        s = run(s, [.key(.escape)]).0
        #expect(s.overlay == .help && s.helpQuery.text.isEmpty)
        s = run(s, [.key(.escape)]).0
        #expect(s.overlay == nil)
    }

    @Test func paletteShowsUsageAndCandidates() {
        var s = sampleState(120, 40)
        s = run(s, [.key(.char(":"))] + keys("mix 0.3 se") + [.key(.tab)]).0
        let text = App.view(s).plainText
        #expect(text.contains(":mix 0.3 se"))
        #expect(text.contains("select=") && text.contains("seed="))
        #expect(text.contains("mix RHO [select=random|largest|smallest]"))
    }

    @Test func sizeGateShowsANotice() {
        let s = State(width: 30, height: 10, model: SampleData.workbench())
        let t = App.view(s).plainText
        #expect(t.contains("too small") && t.contains("q to quit"))
    }
}
