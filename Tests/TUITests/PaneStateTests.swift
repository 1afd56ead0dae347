import Defense
import Foundation
import Testing
@testable import TUI
import TUIPreview

/// What a pane's analyst set must survive the session's snapshots, and each pane must send what it
/// shows (issue 13's Load, E-PUR, Mixer and smaller defects).
@Suite struct PaneStateTests {
    /// The lines a list of effects asks the session to run.
    func lines(_ fx: [Effect]) -> [String] {
        fx.compactMap { e in
            switch e {
            case .command(let l), .load(let l): l
            default: nil
            }
        }
    }

    // MARK: Load

    @Test func loadTargetSurvivesASnapshotAndEnterLoadsAsTheChosenRole() {
        var s = sampleState(120, 40, focus: .load)
        s = run(s, [.key(.right)]).0                      // pre → victim
        s = run(s, [.model(SampleData.workbench())]).0    // any command finishing
        let (_, fx) = run(s, [.key(.down), .key(.down), .key(.enter)])
        #expect(lines(fx) == ["load victim /home/analyst/models/minilm-sst2-badnets"])
        #expect(App.view(s).text(of: s.layout.rect(of: .load)!).contains("[victim]"))
    }

    @Test func aFilterDoesNotFollowIntoAnotherFolder() {
        var s = sampleState(120, 40, focus: .load)
        s = run(s, [.key(.char("/"))] + keys("mini") + [.key(.enter)]).0
        #expect(Rows.load(s).count == 2)
        var other = SampleData.workbench()
        other.load.directory = "/home/analyst/models/datasets"
        other.load.entries = [FileEntry(name: "..", kind: .directory), FileEntry(name: "sst2.tsv", kind: .dataset)]
        s = run(s, [.model(other)]).0
        #expect(s.filters[.load] == nil && Rows.load(s).count == 2 && s.load.cursor == 0)
        // The same folder listed again keeps the filter.
        s = run(s, [.key(.char("/"))] + keys("sst") + [.key(.enter), .model(other)]).0
        #expect(s.filters[.load] == "sst")
    }

    @Test func theFolderIsListedAgainOnFocusAndOnTheRefreshKey() {
        let s = sampleState(120, 40, focus: .layers)
        #expect(run(s, [.key(.char("8"))]).1 == [.browse("/home/analyst/models")])
        let l = run(s, [.key(.char("8"))]).0
        #expect(run(l, [.key(.ctrl("r"))]).1 == [.browse("/home/analyst/models")])
    }

    // MARK: E-PUR

    @Test func togglesAndNSurviveASnapshot() {
        var s = sampleState(120, 40, focus: .epur)
        s = run(s, [.key(.down), .key(.char(" "))]).0     // "mn" ticked off
        s = run(s, [.model(SampleData.workbench())]).0    // any command finishing
        #expect(EpurPane.tickedTokens(s) == ["cf", "bb", "tq", "mb", "boring", "worst"])
        s = run(s, [.key(.char("+")), .model(SampleData.workbench())]).0
        #expect(EpurPane.top(s) == 17 && EpurPane.tickedTokens(s).count == 14 && !EpurPane.tickedTokens(s).contains("mn"))
        // A new ranking starts afresh.
        var next = SampleData.workbench()
        next.epur.tokens.removeLast()
        s = run(s, [.model(next)]).0
        #expect(EpurPane.top(s) == 7 && s.epur.unticked.isEmpty)
    }

    @Test func enterSendsWhatThePaneShows() {
        let s = sampleState(120, 40, focus: .epur)
        // N changed, nothing ticked off: a fresh top N.
        #expect(lines(run(s, [.key(.char("+")), .key(.enter)]).1) == ["epur top=17 fmin=20"])
        #expect(lines(run(s, [.key(.enter)]).1) == ["epur top=7 fmin=20"])
        // One row ticked off: exactly the ticked rows.
        let (_, fx) = run(s, [.key(.down), .key(.char(" ")), .key(.enter)])
        #expect(lines(fx) == ["epur top=7 fmin=20 reset=cf,bb,tq,mb,boring,worst"])
    }

    @Test func wordPiecesAreQuotedSoTheListIsNotCutAtHash() throws {
        var s = sampleState(120, 40, focus: .epur)
        var m = SampleData.workbench()
        m.epur.tokens.insert(TokenRow(token: "##ing", id: 2075, drift: 0.95, freq: 3, score: 40), at: 1)
        s = run(s, [.model(m), .key(.down), .key(.char(" "))]).0   // "cf" (second by score) ticked off
        let fx = run(s, [.key(.enter)]).1
        let line = try #require(lines(fx).first)
        #expect(line == "epur top=7 fmin=20 reset=\"##ing,mn,bb,tq,mb,boring\"")
        let c = try #require(try Verbs.parse(line))
        #expect(c.options["reset"] == "##ing,mn,bb,tq,mb,boring")
    }

    @Test func aRankingOfAnotherVariantIsMarkedAndEnterRanksAgain() {
        var m = SampleData.workbench()
        m.epur.stale = true
        var s = sampleState(120, 40, focus: .epur)
        s = run(s, [.key(.down), .key(.char(" ")), .model(m)]).0
        let text = App.view(s).text(of: s.layout.rect(of: .epur)!)
        #expect(text.contains("not the current variant"))
        // Its ticks say nothing about the current variant: Enter ranks that one afresh.
        #expect(lines(run(s, [.key(.enter)]).1) == ["epur top=7 fmin=20"])
    }

    @Test func theCountIsTheRowsReallyReset() {
        var m = SampleData.workbench()
        m.epur.rowsReset = 3
        var s = sampleState(120, 40, focus: .epur)
        s = run(s, [.model(m)]).0
        let text = App.view(s).text(of: s.layout.rect(of: .epur)!)
        #expect(text.contains("reset 3 rows") && text.contains("ticked 7/15"))
    }

    @Test func scoresShowEnoughDigitsToTellRowsApart() {
        var m = SampleData.workbench()
        m.epur.tokens = [TokenRow(token: "aa", id: 1, drift: 0.05, freq: 30, score: 0.01234),
                         TokenRow(token: "bb", id: 2, drift: 0.05, freq: 31, score: 0.01267)]
        var s = sampleState(120, 40, focus: .epur)
        s = run(s, [.model(m)]).0
        let text = App.view(s).text(of: s.layout.rect(of: .epur)!)
        #expect(text.contains("1.23e-02") && text.contains("1.27e-02"))
    }

    // MARK: Mixer

    @Test func digitsJumpToPanesUnlessTheMixerIsEditing() {
        let s = sampleState(120, 40, focus: .mixer)
        let (t, fx) = run(s, keys("3") + [.key(.enter)])
        #expect(t.focus == .epur && t.mixer.knobs.rho == 0.3 && lines(fx) == ["epur top=7 fmin=20"])
        let (e, _) = run(s, [.key(.char("="))] + keys("3"))
        #expect(e.focus == .mixer && e.mixer.entry == "3")
        #expect(App.view(e).text(of: e.layout.status).contains("typing ρ"))
        #expect(!App.view(s).text(of: s.layout.status).contains("typing ρ"))
    }

    @Test func aMixRunElsewhereShowsInTheMixer() {
        var s = sampleState(120, 40, focus: .mixer)
        var m = SampleData.workbench()
        m.mixer.applied = MixKnobs(rho: 0.6, select: .largest, seed: 3)
        s = run(s, [.model(m)]).0
        #expect(s.mixer.knobs == MixKnobs(rho: 0.6, select: .largest, seed: 3))
        #expect(App.view(s).text(of: s.layout.rect(of: .mixer)!).contains("select largest · seed 3"))
        // The same mix in the next snapshot does not undo the analyst's knob.
        s = run(s, [.key(.char("]")), .model(m)]).0
        #expect(s.mixer.knobs.rho == 0.65)
    }

    @Test func thePreviewFollowsTheRulesMeasuredCurve() {
        var s = sampleState(120, 40, focus: .mixer)
        let row = s.model.mixer.layers[0]
        s = run(s, [.key(.char("r"))]).0                   // random → largest
        #expect(s.mixer.knobs.select == .largest)
        let kept = try! #require(row.kept(at: 0.3, rule: .largest))
        #expect(abs(kept - (1 - pow(0.7, 4))) < 1e-9)      // the sample's curve, not 0.3
        // No curve measured yet for a rule: the pane says so instead of drawing a guess.
        var m = SampleData.workbench()
        for i in m.mixer.layers.indices { m.mixer.layers[i].energyKept = [:] }
        s = run(s, [.model(m)]).0
        #expect(App.view(s).text(of: s.layout.rect(of: .mixer)!).contains("measuring"))
    }

    @Test func energyKeptIsMeasuredOnTheWeights() throws {
        // Δ = 1, 2, 3, 4 in one tensor: ‖Δ‖² 30; largest half keeps 25, smallest half 5.
        let pre = TensorDictionary([NamedTensor(name: "encoder.layer.0.output.dense.weight", shape: [4], values: [0, 0, 0, 0])])
        let victim = TensorDictionary([NamedTensor(name: "encoder.layer.0.output.dense.weight", shape: [4], values: [1, 2, 3, 4])])
        let e = try EnergyKept.measure(pre: pre, victim: victim, seed: 1, steps: 2)
        let c = try #require(e.layers["encoder.layer.0.ffn"])
        #expect(c[.largest] == [0, 25.0 / 30, 1])
        #expect(c[.smallest] == [0, 5.0 / 30, 1])
        // Random: the energy of the entries the real mask keeps at ρ 0.5.
        let mixed = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.5, seed: 1))
        var v = [Float](repeating: 0, count: 4)
        try v.withUnsafeMutableBufferPointer { try mixed.readFloats("encoder.layer.0.output.dense.weight", into: $0) }
        #expect(c[.random]![1] == Double(v.map { $0 * $0 }.reduce(0, +)) / 30)
    }

    @Test func theMixersSeedIsTheEnginesDefault() {
        // docs/screen.txt showed seed 7 in the Mixer beside seed 1 in Variants: the knob starts
        // where `mix` without seed= runs.
        let s = sampleState(120, 40, focus: .mixer)
        #expect(s.mixer.knobs.seed == 1)
        #expect(lines(run(s, [.key(.enter)]).1) == ["mix 0.30 select=random seed=1"])
    }

    /// docs/screen.txt showed seed 7 in the Mixer beside seed 1 in the log's mix: every seed the
    /// capture shows is the Mixer's starting seed.
    @Test func theScreenCaptureShowsOneSeed() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/screen.txt")
        let text = try String(contentsOf: url.standardizedFileURL, encoding: .utf8)
        let seeds = text.matches(of: /seed (\d+)/).map { Int($0.1)! }
        #expect(seeds.count >= 2)
        #expect(seeds.allSatisfy { $0 == sampleState(120, 40, focus: .mixer).mixer.knobs.seed }, "\(seeds)")
    }

    // MARK: smaller

    @Test func theProbeHintNamesTheTokenTInserts() {
        var s = sampleState(200, 60, focus: .epur)
        s = run(s, [.key(.down), .key(.down)]).0           // cursor on "bb"
        let probe = App.view(s).text(of: s.layout.rect(of: .probe)!)
        #expect(probe.contains("t inserts 'bb'"))
        let (t, _) = run(s, [.key(.char("t"))])
        #expect(t.probe.field.text.contains("bb"))
    }

    @Test func theWalkthroughFocusesByDirectiveNotByKey() {
        var km = Keymap.defaults
        km.bindings[.char("5")] = nil
        var s = sampleState(120, 40)
        s.keymap = km
        #expect(run(s, [.focus(.variants)]).0.focus == .variants)
    }

    @Test func theFooterShowsTheLiveKeyMap() {
        var s = sampleState(120, 40)
        #expect(StatusBar.footerHints(s) == "q quit  ? help  : palette  Tab/1-8 panes  e zoom  c cancel  z undo")
        s.keymap.bindings[.char("c")] = nil
        s.keymap.bindings[.char("e")] = nil
        s.keymap.bindings[.char("Z")] = .zoom
        let hints = StatusBar.footerHints(s)
        #expect(!hints.contains("c cancel") && hints.contains("Z zoom"))
        s.focus = .mixer
        s.keymap.bindings[.char("r")] = nil
        #expect(!MixerPane.hint(s).contains("r rule") && MixerPane.hint(s).contains("= type ρ"))
    }

    @Test func theSeedColumnShowsTheSeedAStepRanWith() {
        #expect(SessionSnapshot.seed(of: "finetune") == 1)
        #expect(SessionSnapshot.seed(of: "finetune epochs=2 seed=5") == 5)
        #expect(SessionSnapshot.seed(of: "load victim /tmp/v") == nil)
    }
}
