import Defense
import Testing
@testable import TUI
import TUIPreview

/// The Mixer's ρ landscape through the update function: what the Mixer asks the session to
/// compute, the chart under the slider, and Enter on a point the landscape already trained.
@Suite struct LandscapeTests {
    func landscape(trained: Set<Int> = [], computing: (rho: Double, fineMixing: Bool)? = nil,
                   basis: ASRBasis? = nil) -> LandscapeModel {
        let points = LandscapeWork.rhos.map { r in
            SweepPoint(rho: r, mixAcc: 0.5 + 0.4 * r, mixAsr: r, fmixAcc: r >= 0.3 ? 0.88 : nil, fmixAsr: r >= 0.3 ? r * r : nil,
                       asrBasis: basis)
        }
        return LandscapeModel(points: points, select: .random, seed: 1, probeSize: 100, trained: trained, computing: computing)
    }

    func with(_ l: LandscapeModel, focus: PaneID = .mixer) -> State {
        var m = SampleData.workbench()
        m.mixer.landscape = l
        var s = sampleState(200, 60, focus: focus)
        s = run(s, [.model(m)]).0
        return s
    }

    func commands(_ fx: [Effect]) -> [String] {
        fx.compactMap { if case .command(let c) = $0 { c } else { nil } }
    }

    @Test func theMixerAsksForItsLandscapeAndFollowsItsKnobs() {
        var s = sampleState(200, 60, focus: .layers)
        var (t, fx) = run(s, [.key(.char("j"))])
        #expect(!fx.contains { if case .landscape = $0 { true } else { false } }, "asked before the Mixer was focused")
        (t, fx) = run(t, keys("2"))
        #expect(fx.contains(.landscape(select: .random, seed: 1, rho: 0.3)))
        // A new rule is a new landscape; a new ρ reorders it; an unchanged knob asks nothing.
        (t, fx) = run(t, [.key(.char("r"))])
        #expect(fx.contains(.landscape(select: .largest, seed: 1, rho: 0.3)))
        (t, fx) = run(t, [.key(.char("]"))])
        #expect(fx.contains(.landscape(select: .largest, seed: 1, rho: 0.35)))
        (t, fx) = run(t, [.tick(1)])
        #expect(fx.isEmpty)
        s = t
        #expect(s.mixer.requested == LandscapeRequest(select: .largest, seed: 1, rho: 0.35))
    }

    @Test func theChartUnderTheSliderShowsBothCurvesAndTheSlidersPoint() {
        let s = with(landscape(computing: (0.6, true), basis: ASRBasis(trigger: .words(["cf"]), target: 1, estimated: true)))
        let text = App.view(s).text(of: s.layout.rect(of: .mixer)!)
        #expect(text.contains("ACC/est. ASR at ρ 0.30"), "\(text)")
        #expect(text.contains("computing Fine-mixing ρ 0.60"), "\(text)")
        #expect(text.contains("FMix 8/11"), "\(text)")
        #expect(text.contains("est. with word:cf"), "\(text)")
        #expect(text.contains("mix 62%/30%"), "the figures at the slider's ρ:\n\(text)")
        // Braille dots drawn in the chart's rows.
        #expect(text.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
    }

    @Test func enterAdoptsATrainedPointAndOnlyThen() {
        let plain = with(landscape())
        #expect(commands(run(plain, [.key(.enter)]).1) == ["mix 0.30 select=random seed=1"])
        let trained = with(landscape(trained: [30]))
        #expect(commands(run(trained, [.key(.enter)]).1) == ["mix 0.30 select=random seed=1", "finetune seed=1"])
        #expect(App.view(trained).text(of: trained.layout.rect(of: .mixer)!).contains("Enter adopts"))
        // Another selection than the landscape's: a plain mix.
        let other = run(trained, [.key(.char("r"))]).0
        #expect(commands(run(other, [.key(.enter)]).1) == ["mix 0.30 select=largest seed=1"])
    }

    @Test func aSweepsPointsArriveInTheChartAsTheyFinish() {
        var s = with(LandscapeModel())
        s = run(s, [.started(job: "sweep"), .engine(.point(SweepPoint(rho: 0.3, mixAcc: 0.7, mixAsr: 0.9, fmixAcc: 0.85, fmixAsr: 0.1)))]).0
        #expect(MixerPane.landscapePoints(s).map(\.rho) == [0.3])
        let text = App.view(s).text(of: s.layout.rect(of: .mixer)!)
        #expect(text.contains("FMix 85%/10%"), "\(text)")
    }
}
