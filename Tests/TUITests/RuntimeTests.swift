import Testing
@testable import TUI
import TUIPreview

@Suite struct RuntimeTests {
    @Test func loopAppliesInputRunsEffectsAndRestores() {
        let idle = SampleData.workbench()
        let term = HeadlessTerminal(width: 120, height: 40, script: [[.key(.tab)], [], [.key(.char("z"))], [.resize(width: 80, height: 24)], [.key(.char("q"))]])
        nonisolated(unsafe) var performed: [Effect] = []
        let rt = Runtime(terminal: term, state: State(width: 1, height: 1, model: idle)) { performed.append($0) }
        rt.tickInterval = 1000
        let exit = rt.run(maxIterations: 100)
        #expect(exit == .quit && term.restored)
        // Focusing the Mixer also asks for its ρ landscape (no command).
        #expect(performed.filter { !$0.isLandscape } == [.command("undo")])
        let askedForLandscape = performed.contains { $0.isLandscape }
        #expect(askedForLandscape)
        #expect(rt.state.focus == .mixer && rt.state.width == 80)
        // Initial frame, Tab, undo (log line), resize; the empty poll and q's quit draw nothing new.
        #expect(rt.redraws == 4 && term.frames.count == 4)
        #expect(term.lastFrame!.width == 80 && term.lines.count == 24)
    }

    @Test func noRedrawWhenNothingChanges() {
        let idle = SampleData.workbench()
        let term = HeadlessTerminal(width: 80, height: 24)
        let rt = Runtime(terminal: term, state: State(width: 80, height: 24, model: idle))
        rt.tickInterval = 0
        rt.pollMs = 0
        #expect(rt.run(maxIterations: 20) == .iterations)
        #expect(rt.redraws == 1)
    }

    @Test func engineMessagesFromOtherThreadsArrive() async {
        let term = HeadlessTerminal(width: 120, height: 40)
        let rt = Runtime(terminal: term, state: State(width: 120, height: 40, model: SampleData.workbench()))
        rt.pollMs = 0
        let box = rt.mailbox
        await Task.detached {
            box.post(.engine(.metric(series: .loss, step: 500, value: 0.01)))
            box.post(.engine(.finished(job: "fine-tune", summary: "done")))
        }.value
        rt.run(maxIterations: 2)
        #expect(rt.state.live.loss.last == SeriesPoint(500, 0.01))
        #expect(rt.state.live.job == nil)
        // Only changed cells are written after the first frame.
        #expect(term.cellsWritten < 120 * 40 * term.frames.count)
    }

    @Test func signalEndsTheLoopAndRestores() {
        let term = HeadlessTerminal(width: 80, height: 24)
        term.raise(15)
        let rt = Runtime(terminal: term, state: State(width: 80, height: 24, model: SampleData.workbench()))
        #expect(rt.run(maxIterations: 10) == .signal(15) && term.restored)
    }

    @Test func frameBenchmarkRuns() {
        let r = FrameBenchmark.run(width: 200, height: 60, frames: 3)
        #expect(r.frames == 3 && r.incrementalMs > 0 && r.fullMs > 0)
        #expect(r.bytesPerFullFrame > r.bytesPerIncrementalFrame && r.bytesPerIncrementalFrame > 0)
    }
}
