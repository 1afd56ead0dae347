import Defense
import Testing
@testable import TUI
import TUIPreview

/// The keys of the panes whose state moved into their own files (Layers, Variants, Log, Probe,
/// Monitor): each pane's cursor, sort and editing live in its state struct and survive a snapshot.
@Suite struct PaneControllerTests {
    @Test func layersSortDrillAndBack() {
        var s = sampleState(120, 40, focus: .layers)
        s = run(s, [.key(.char("s"))]).0
        #expect(s.layers.sort == .drift)
        // Drift order: the new head first, then the layer that drifted most.
        let top = Rows.layers(s)[1]
        #expect(s.model.layers[top].relL2 == s.model.layers.compactMap(\.relL2).max())
        s = run(s, [.key(.down), .key(.enter), .key(.down)]).0
        #expect(s.layers.drill == top)
        #expect(s.layers.tensorCursor == min(1, s.model.layers[top].tensors.count - 1))
        #expect(s.layers.cursor == 1)
        // A snapshot keeps the drill while the layer exists, drops it when it does not.
        s = run(s, [.model(SampleData.workbench())]).0
        #expect(s.layers.drill == top && s.layers.sort == .drift)
        var fewer = SampleData.workbench()
        fewer.layers = Array(fewer.layers.prefix(top))
        #expect(run(s, [.model(fewer)]).0.layers.drill == nil)
        s = run(s, [.key(.escape)]).0
        #expect(s.layers.drill == nil)
        s = run(s, [.key(.right)]).0
        #expect(s.layers.drill == top)
        s = run(s, [.key(.left)]).0
        #expect(s.layers.drill == nil)
    }

    @Test func variantsCursorSortAndEnter() {
        var s = sampleState(120, 40, focus: .variants)
        s = run(s, [.key(.char("s"))]).0
        #expect(s.variants.sort == .acc)
        let first = s.model.variants[Rows.variants(s)[0]]
        #expect(first.acc == s.model.variants.compactMap(\.acc).max())
        var fx: [Effect]
        (s, fx) = run(s, [.key(.down), .key(.enter)])
        let second = s.model.variants[Rows.variants(s)[1]].name
        #expect(s.variants.cursor == 1 && fx == [.command("variant \(Command.quote(second))")])
        #expect(run(s, [.key(.char("f"))]).1 == [.command("finetune")])
        s = run(s, [.model(SampleData.workbench())]).0
        #expect(s.variants.cursor == 1 && s.variants.sort == .acc)
    }

    @Test func logScrollsBackAndHoldsItsPlace() {
        var s = sampleState(120, 40, focus: .log)
        s = run(s, [.key(.up), .key(.up)]).0
        #expect(s.logPane.scroll == 2)
        s = run(s, [.engine(.log(.info, "a new line"))]).0
        #expect(s.logPane.scroll == 3)      // the lines being read stay in place
        s = run(s, [.key(.char("G"))]).0
        #expect(s.logPane.scroll == 0)
        s = run(s, [.key(.char("g"))]).0
        #expect(s.logPane.scroll == s.log.count - 1)
    }

    @Test func probeEditsSurviveASnapshotAndEnterProbes() {
        var s = sampleState(120, 40, focus: .probe)
        s = run(s, [.key(.char("i")), .key(.ctrl("u"))] + keys("an odd film")).0
        #expect(s.probe.editing && s.probe.field.text == "an odd film")
        var m = SampleData.workbench()
        m.probe.sentence = "what the session last probed"
        s = run(s, [.model(m)]).0
        #expect(s.probe.field.text == "an odd film")
        var fx: [Effect]
        (s, fx) = run(s, [.key(.enter)])
        #expect(!s.probe.editing && fx == [.command("probe \"an odd film\"")])
        // Not editing: the session's sentence is shown.
        s = run(s, [.model(m)]).0
        #expect(s.probe.field.text == "what the session last probed")
        // Esc stops editing without probing.
        (s, fx) = run(s, [.key(.char("i")), .key(.char("x")), .key(.escape)])
        #expect(!s.probe.editing && fx.isEmpty)
    }

    @Test func monitorFreezesWindowsAndGoesLogScale() {
        var s = sampleState(120, 40, focus: .monitor)
        s = run(s, [.key(.char(" "))]).0
        let frozen = s.monitor.frozen
        #expect(frozen == s.live)
        s = run(s, [.engine(.metric(series: .loss, step: 121, value: 0.1))]).0
        #expect(s.monitor.frozen == frozen && s.live.loss.last?.x == 121)
        s = run(s, [.key(.escape)]).0
        #expect(s.monitor.frozen == nil)
        s = run(s, [.key(.char("+")), .key(.char("L"))]).0
        #expect(s.monitor.window == 60 && s.monitor.logScale)
        s = run(s, [.key(.char("-")), .key(.char("-"))]).0
        #expect(s.monitor.window == nil)    // wider than the run: all of it
    }
}
