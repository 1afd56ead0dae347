import Defense
import Testing
@testable import TUI
import TUIPreview

/// Progress travels as typed values: the Monitor's step count and the header's ETA come from
/// `JobProgress`'s numbers, and no text is read back.
@Suite struct ProgressEventTests {
    func idle() -> State { State(width: 120, height: 40, model: SampleData.workbench()) }

    @Test func aTypedProgressEventReachesTheMonitorAndTheHeader() {
        var s = idle()
        s.focus = .monitor
        s = run(s, [.started(job: "finetune"),
                    .engine(.progress(JobProgress(job: "fine-tune", fraction: 0.25, step: 30, total: 120, eta: 49))),
                    .engine(.metric(series: .loss, step: 30, value: 0.5))]).0
        #expect(s.live.totalSteps == 120 && s.live.job?.step == 30 && s.live.job?.eta == 49)
        let screen = App.view(s).plainText
        #expect(screen.contains("step 30/120 ·"))            // the Monitor's caption
        #expect(screen.contains("fine-tune 25% · step 30/120 ETA 49s"))   // the header
        #expect(s.live.probeInterval == 12)
    }

    /// The old bridge read "step s/S" back out of the detail text; a phase that happens to say
    /// "step 3/7" must not change the run's length now.
    @Test func aPhaseIsNeverParsed() {
        var s = run(idle(), [.engine(.progress(JobProgress(job: "fine-tune", fraction: 0.1, step: 12, total: 120)))]).0
        s = run(s, [.engine(WorkbenchEvent.progress(job: "eval", fraction: 0.5, detail: "step 3/7 of the probe"))]).0
        #expect(s.live.totalSteps == 120 && s.live.job?.phase == "step 3/7 of the probe")
    }

    /// The series are kept in one place: a snapshot (which carries none) leaves them and the job
    /// alone; a charted verb starting clears them, another verb does not.
    @Test func seriesLiveOnlyInTheFrontEnd() {
        var s = State(width: 120, height: 40, model: SampleData.workbench(), live: SampleData.live())
        let before = s.live
        s = run(s, [.model(WorkbenchModel())]).0
        #expect(s.live == before && s.jobRunning)
        s = run(s, [.started(job: "eval")]).0
        #expect(s.live.loss == before.loss && s.live.job?.job == "eval")
        s = run(s, [.started(job: "finetune")]).0
        #expect(s.live.loss.isEmpty && s.live.acc.isEmpty && s.live.totalSteps == 0)
        // The sweep's points are the session's to show, not the Monitor's.
        s = run(s, [.engine(.metric(series: .sweepAcc, step: 1, value: 0.9))]).0
        #expect(s.live.acc.isEmpty && !s.log.contains { $0.text.contains("unknown series") })
    }

    /// One rendering for the CLI, the log and the header, as the engine printed it before.
    @Test func progressTextIsRenderedOnceFromTheValues() {
        let step = JobProgress(job: "fine-tune", fraction: 40.0 / 120, step: 40, total: 120, epoch: 1, epochs: 3,
                               loss: 0.41234, tokensPerSecond: 1430.7, eta: 49)
        #expect(step.text == "epoch 1/3 step 40/120 loss 0.4123 1430 tok/s ETA 49s")
        #expect(JobProgress(job: "eval", fraction: 0.5, phase: "evaluating the victim", eta: 65).text == "evaluating the victim · ETA 1m05s")
        #expect(JobProgress(job: "sweep", fraction: 0, phase: "ρ = 0.3").text == "ρ = 0.3")
    }
}
