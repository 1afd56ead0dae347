import Defense
import Foundation
import TUI

/// Times a frame of the workbench: view() of a busy screen, the diff against the previous frame,
/// and encoding the changes as terminal output. `finemix bench --frames` calls this; tests only
/// check that it runs (timed tests are flaky on shared machines).
public enum FrameBenchmark {
    public struct Result: Sendable {
        public var frames: Int
        /// Mean milliseconds per frame when a live chart grows by one point per frame.
        public var incrementalMs: Double
        /// Mean milliseconds per frame when every cell is written (first frame, resize).
        public var fullMs: Double
        public var bytesPerIncrementalFrame: Int
        public var bytesPerFullFrame: Int
    }

    public static func run(width: Int = 200, height: Int = 60, frames: Int = 200) -> Result {
        var state = State(width: width, height: height, model: SampleData.workbench(), live: SampleData.live())
        state.focus = .monitor
        var previous = App.view(state)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        var incBytes = 0, fullBytes = 0
        let n = max(1, frames)
        // incremental: one new loss point and a progress step per frame, as during fine-tuning
        var step = Int(state.live.loss.last?.x ?? 0)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<n {
            step += 1
            state = App.update(state, .engine(.metric(series: .loss, step: step, value: 0.08 + 0.3 * exp(-Double(step) / 80)))).0
            state = App.update(state, .engine(.progress(JobProgress(job: "fine-tune", fraction: Double(step % 200) / 200,
                                                                    step: step, total: 400)))).0
            let frame = App.view(state)
            let runs = FrameDiff.runs(old: previous, new: frame)
            out.removeAll(keepingCapacity: true)
            AnsiEncoder.encode(frame, runs: runs, into: &out)
            incBytes += out.count
            previous = frame
        }
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<n {
            let frame = App.view(state)
            let runs = FrameDiff.runs(old: nil, new: frame)
            out.removeAll(keepingCapacity: true)
            AnsiEncoder.encode(frame, runs: runs, into: &out)
            fullBytes += out.count
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        return Result(frames: n, incrementalMs: Double(t1 - t0) / 1e6 / Double(n), fullMs: Double(t2 - t1) / 1e6 / Double(n),
                      bytesPerIncrementalFrame: incBytes / n, bytesPerFullFrame: fullBytes / n)
    }
}
