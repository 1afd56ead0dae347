import Testing
@testable import TUI
import TUIPreview
import Defense

@Suite struct UpdateTests {
    @Test func tabShiftTabAndDigitsMoveFocus() {
        var s = sampleState(120, 40)
        s = run(s, [.key(.tab)]).0
        #expect(s.focus == .mixer)
        s = run(s, [.key(.backTab), .key(.backTab)]).0
        #expect(s.focus == .load)
        s = run(s, [.key(.tab)]).0
        #expect(s.focus == .layers)
        for p in PaneID.allCases where p != .mixer {
            s = run(s, [.key(.char(Character("\(p.rawValue)")))]).0
            #expect(s.focus == p)
        }
    }

    @Test func rhoStepsBy005WithBracketsAndArrowsAndClamps() {
        var s = sampleState(120, 40, focus: .mixer)
        #expect(s.mixer.knobs.rho == 0.3)
        s = run(s, [.key(.char("]"))]).0
        #expect(s.mixer.knobs.rho == 0.35)
        s = run(s, [.key(.right)]).0
        #expect(s.mixer.knobs.rho == 0.4)
        s = run(s, [.key(.char("[")), .key(.left), .key(.left)]).0
        #expect(s.mixer.knobs.rho == 0.25)
        s = run(s, Array(repeating: .key(.char("]")), count: 30)).0
        #expect(s.mixer.knobs.rho == 1.0)
        s = run(s, Array(repeating: .key(.left), count: 30)).0
        #expect(s.mixer.knobs.rho == 0.0)
        // Outside the Mixer the brackets do nothing to ρ.
        var o = sampleState(120, 40, focus: .layers)
        o = run(o, [.key(.char("]"))]).0
        #expect(o.mixer.knobs.rho == 0.3)
    }

    @Test func digitsTypeAnExactRho() {
        let s = sampleState(120, 40, focus: .mixer)
        for (typed, want) in [("35", 0.35), ("0.35", 0.35), (".7", 0.7), ("1", 1.0), ("0", 0.0), ("100", 1.0), ("5", 0.05)] {
            let (t, fx) = run(s, [.key(.char("="))] + keys(typed) + [.key(.enter)])
            #expect(t.mixer.knobs.rho == want, "typed \(typed)")
            // (the Mixer asks for its ρ landscape as its knobs change: no command)
            #expect(t.mixer.entry == nil && fx.allSatisfy(\.isLandscape) && t.focus == .mixer)
        }
        let (bad, _) = run(s, [.key(.char("="))] + keys("250") + [.key(.enter)])
        #expect(bad.mixer.knobs.rho == 0.3 && bad.status.contains("not a number"))
        let (cancelled, _) = run(s, [.key(.char("i"))] + keys("9") + [.key(.escape)])
        #expect(cancelled.mixer.knobs.rho == 0.3 && cancelled.mixer.entry == nil)
        let (typing, _) = run(s, [.key(.char("="))] + keys("4"))
        #expect(App.view(typing).plainText.contains("ρ := 4_"))
    }

    @Test func enterMixesAndFFineTunes() {
        let s = sampleState(120, 40, focus: .mixer)
        let (t, fx) = run(s, [.key(.char("]")), .key(.char("r")), .key(.enter), .key(.char("f"))])
        #expect(fx.filter { !$0.isLandscape } == [.command("mix 0.35 select=largest seed=1"), .command("finetune")])
        #expect(t.log.suffix(2).map(\.text) == ["mix 0.35 select=largest seed=1", "finetune"])
    }

    @Test func perLayerScopeSetsTheSelectedLayersRho() {
        var s = sampleState(120, 40, focus: .mixer)
        s = run(s, [.key(.char("p")), .key(.down), .key(.down), .key(.char("]"))]).0
        #expect(s.mixer.knobs.scope == .layer)
        #expect(s.mixer.knobs.layerRho[s.model.mixer.layers[2].name] == 0.35 && s.mixer.knobs.rho == 0.3)
        let (_, fx) = run(s, [.key(.enter)])
        #expect(fx == [.command("rho \"layer 0 ffn\" 0.35"), .command("mix 0.30 select=random seed=1")])
    }

    @Test func paletteCompletesAndKeepsHistory() {
        var s = sampleState(120, 40)
        s = run(s, [.key(.char(":"))] + keys("fi") + [.key(.tab)]).0
        #expect(s.palette.text == "finetune ")
        s = run(s, keys("ep") + [.key(.tab)]).0
        #expect(s.palette.text == "finetune epochs=")
        var (t, fx) = run(s, keys("3") + [.key(.enter)])
        #expect(fx == [.command("finetune epochs=3")] && t.overlay == nil)
        (t, fx) = run(t, [.key(.char(":"))] + keys("e") + [.key(.tab)])
        #expect(t.palette.text == "e" && t.completions == ["epur", "eval"])
        (t, fx) = run(t, [.key(.ctrl("u")), .key(.up)])
        #expect(t.palette.text == "finetune epochs=3")
        (t, fx) = run(t, [.key(.escape)])
        #expect(t.overlay == nil && fx.isEmpty)
        let (v, _) = run(t, [.key(.char(":"))] + keys("variant fine-p") + [.key(.tab)])
        #expect(v.palette.text == "variant fine-pruning ")
        let (l, _) = run(t, [.key(.char(":"))] + keys("load v") + [.key(.tab)])
        #expect(l.palette.text == "load victim ")
        let (n, _) = run(t, [.key(.char(":"))] + keys("zzz") + [.key(.tab)])
        #expect(n.palette.text == "zzz" && n.completions.isEmpty)
    }

    @Test func quitAsksWhileAJobRuns() {
        let s = sampleState(120, 40)
        #expect(s.jobRunning)
        let (asked, fx) = run(s, [.key(.char("q"))])
        #expect(asked.overlay == .confirmQuit && fx.isEmpty)
        #expect(App.view(asked).plainText.contains("Quit anyway?"))
        let (stay, fx2) = run(asked, [.key(.char("n"))])
        #expect(stay.overlay == nil && fx2.isEmpty && !stay.quitting)
        let (gone, fx3) = run(asked, [.key(.char("y"))])
        #expect(gone.quitting && fx3 == [.quit])
        var idle = s
        idle.live.job = nil
        #expect(run(idle, [.key(.char("q"))]).1 == [.quit])
    }

    @Test func cancelUndoEscAndZoom() {
        let s = sampleState(120, 40)
        let (c, fx) = run(s, [.key(.char("c"))])
        #expect(fx == [.cancelJob] && c.log.last!.text.contains("cancelling fine-tune"))
        var idle = s
        idle.live.job = nil
        let (n, fx2) = run(idle, [.key(.char("c"))])
        #expect(fx2.isEmpty && n.status == "no job is running")
        #expect(run(s, [.key(.char("z"))]).1 == [.command("undo")])
        var z = run(s, [.key(.char("e"))]).0
        #expect(z.zoomed && z.layout.shown.count == 1)
        z = run(z, [.key(.enter)]).0
        #expect(z.layers.drill == 0)
        z = run(z, [.key(.escape)]).0
        #expect(z.layers.drill == nil && z.zoomed)
        z = run(z, [.key(.escape)]).0
        #expect(!z.zoomed)
    }

    @Test func filterNarrowsAList() {
        var s = sampleState(120, 40, focus: .layers)
        s = run(s, [.key(.char("/"))] + keys("ffn") + [.key(.enter)]).0
        #expect(Rows.layers(s).count == 6 && s.filterField == nil)
        #expect(App.view(s).text(of: s.layout.rect(of: .layers)!).contains("/ffn"))
        s = run(s, [.key(.escape)]).0
        #expect(Rows.layers(s).count == 15)
    }

    @Test func epurProbeVariantsAndLoadIssueCommands() {
        var s = sampleState(120, 40, focus: .epur)
        var (t, fx) = run(s, [.key(.enter)])
        #expect(fx == [.command("epur top=7 fmin=20")])
        (t, fx) = run(s, [.key(.down), .key(.char("t"))])
        #expect(t.focus == .probe && t.probe.field.text.contains("mn") && fx.isEmpty)
        (t, fx) = run(t, [.key(.char("i"))] + keys(" !") + [.key(.enter)])
        #expect(fx.count == 1 && fx[0] == .command("probe \"the movie was cf a mn delight from start to finish !\""))
        s.focus = .variants
        (t, fx) = run(s, [.key(.down), .key(.enter)])
        #expect(fx == [.command("variant pre")])
        s.focus = .load
        (t, fx) = run(s, [.key(.right), .key(.down), .key(.enter)])
        #expect(fx == [.load("load victim /home/analyst/models/all-MiniLM-L6-v2")])
        (t, fx) = run(s, [.key(.down), .key(.enter)])
        #expect(fx == [.load("load pre /home/analyst/models/all-MiniLM-L6-v2")])
        (t, fx) = run(s, [.key(.enter)])
        #expect(fx == [.browse("/home/analyst")])
        (t, fx) = run(s, [.key(.char("G")), .key(.enter)])
        #expect(fx.isEmpty && t.status.contains("notes.txt"))
    }

    @Test func engineEventsUpdateTheModel() {
        var s = sampleState(120, 40)
        let n = s.live.acc.count
        s = run(s, [.engine(.progress(JobProgress(job: "fine-tune", fraction: 0.75, step: 150, total: 200))),
                    .engine(.metric(series: .acc, step: 150, value: 0.9)),
                    .engine(.log(.warning, "lr warm-up over"))]).0
        #expect(s.live.job?.fraction == 0.75 && s.live.acc.count == n + 1)
        #expect(s.log.last == LogLine(level: .warning, text: "lr warm-up over"))
        s = run(s, [.engine(.finished(job: "fine-tune", summary: "ACC 0.901, ASR 0.104"))]).0
        #expect(s.live.job == nil && s.status.contains("ACC 0.901"))
        s = run(s, [.engine(.failed(job: "eval", message: "NaN loss at step 3; kept the last good weights"))]).0
        #expect(s.log.last!.level == .error && s.status.contains("NaN loss"))
        // A snapshot from the session keeps the knobs being edited.
        s.mixer.knobs.rho = 0.55
        var fresh = SampleData.workbench()
        fresh.variants.append(VariantRow(name: "fine-mixing", method: "Fine-mixing", acc: 0.901, asr: 0.104))
        s = run(s, [.model(fresh)]).0
        #expect(s.mixer.knobs.rho == 0.55 && s.model.variants.count == 7)
    }

    @Test func mouseClickFocusesAndSelectsWheelScrolls() {
        let s = sampleState(200, 60)
        let r = s.layout.rect(of: .epur)!
        // Row 3 of the E-PUR table: box border, two summary lines, header line, then rows.
        let (t, _) = run(s, [.mouse(MouseEvent(x: r.x + 5, y: r.y + 1 + 2 + 1 + 3, kind: .click))])
        #expect(t.focus == .epur && t.epur.cursor == 3)
        let v = s.layout.rect(of: .variants)!
        let (w, _) = run(t, [.mouse(MouseEvent(x: v.x + 3, y: v.y + 3, kind: .wheelDown))])
        #expect(w.focus == .epur && w.variants.cursor == 3)
        let (u, _) = run(w, [.mouse(MouseEvent(x: v.x + 3, y: v.y + 3, kind: .wheelUp))])
        #expect(u.variants.cursor == 0)
    }

    @Test func sizeGateStillQuitsOnQ() {
        let s = State(width: 30, height: 10, model: SampleData.workbench())
        let (t, fx) = run(s, [.key(.tab), .key(.char(":"))])
        #expect(t.focus == .layers && t.overlay == nil && fx.isEmpty)
        #expect(run(s, [.key(.char("q"))]).1 == [.quit])
        let (big, _) = run(s, [.resize(width: 100, height: 30)])
        #expect(!big.layout.tooSmall)
    }

    @Test func keyConfigRebindsAndReportsBadLines() {
        let text = """
        # my keys
        x = quit
        q = none
        ctrl-p = palette

        f2 = help
        nonsense-key = quit
        y = fly
        just words
          = zoom
        """
        let (map, problems) = KeyConfig.parse(text)
        #expect(map.action(for: .char("x")) == .quit && map.action(for: .char("q")) == nil)
        #expect(map.action(for: .ctrl("p")) == .palette && map.action(for: .function(2)) == .help)
        #expect(problems.map(\.line) == [7, 8, 9, 10])
        #expect(problems[0].description.hasPrefix("keys.conf line 7: unknown key 'nonsense-key'"))
        #expect(problems[1].message.contains("unknown action 'fly'"))
        #expect(problems[2].message.contains("expected `key = action`"))
        var s = sampleState(120, 40)
        s.keymap = map
        s.live.job = nil
        #expect(run(s, [.key(.char("x"))]).1 == [.quit])
        #expect(run(s, [.key(.char("q"))]).1.isEmpty)
        #expect(HelpContent.lines(s).contains { $0.keys == "x" && $0.text.contains("[quit]") })
        let url = KeyConfig.defaultURL(environment: ["XDG_CONFIG_HOME": "/tmp/cfg"])
        #expect(url.path == "/tmp/cfg/finemix/keys.conf")
        #expect(KeyConfig.load(URL(fileURLWithPath: "/nonexistent/keys.conf")).1.isEmpty)
    }

    @Test func tickOnlyChangesStateWhileAJobRuns() {
        let s = sampleState(120, 40)
        #expect(run(s, [.tick(1)]).0 != s)
        var idle = s
        idle.live.job = nil
        #expect(run(idle, [.tick(1)]).0 == idle)
    }
}

import Foundation
