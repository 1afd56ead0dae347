import Foundation
import Synchronization

/// What long work reports while it runs. Typed values, rendered to text once (`JobProgress.text`)
/// by whoever prints them: the TUI reads the numbers, never text. Plain data only, so they cross
/// threads freely.
public enum WorkbenchEvent: Sendable, Equatable {
    case progress(JobProgress)
    /// One point of a live series against the training step (the sweep's: against ρ's index).
    case metric(series: MetricSeries, step: Int, value: Double)
    /// One ρ of a sweep or of the Mixer's landscape, done.
    case point(SweepPoint)
    case log(Level, String)
    case finished(job: String, summary: String)
    case failed(job: String, message: String)

    public typealias Level = LogLevel

    /// Progress with no counters: what the job is doing ("evaluating the victim", "ρ = 0.3").
    public static func progress(job: String, fraction: Double, detail: String) -> WorkbenchEvent {
        .progress(JobProgress(job: job, fraction: fraction, phase: detail))
    }
}

/// How bad a log line is; `command` is a line of the command language echoed as it was issued.
public enum LogLevel: String, Sendable, Equatable, CaseIterable { case info, warning, error, command }

/// The series long work reports points of.
public enum MetricSeries: String, Sendable, Equatable, CaseIterable {
    case loss, acc, asr
    /// A sweep's ACC and ASR, one point per ρ (step = ρ's index).
    case sweepAcc = "sweep-acc", sweepAsr = "sweep-asr"
}

/// How far a job is. Counters a job does not have are nil.
public struct JobProgress: Sendable, Equatable {
    public var job: String
    /// In [0, 1].
    public var fraction: Double
    /// What the job is doing when it is not counting steps, or "".
    public var phase: String
    public var step: Int?
    public var total: Int?
    public var epoch: Int?
    public var epochs: Int?
    public var loss: Double?
    public var tokensPerSecond: Double?
    /// Seconds left, when known.
    public var eta: Double?

    public init(job: String, fraction: Double, phase: String = "", step: Int? = nil, total: Int? = nil,
                epoch: Int? = nil, epochs: Int? = nil, loss: Double? = nil, tokensPerSecond: Double? = nil,
                eta: Double? = nil) {
        self.job = job
        self.fraction = fraction
        self.phase = phase
        self.step = step
        self.total = total
        self.epoch = epoch
        self.epochs = epochs
        self.loss = loss
        self.tokensPerSecond = tokensPerSecond
        self.eta = eta
    }

    /// The one text form, for stderr, the log and the header: "epoch 1/3 step 40/120 loss 0.4123
    /// 1430 tok/s ETA 49s", or the phase with " · ETA 3s".
    public var text: String {
        var counters: [String] = []
        if let epoch, let epochs { counters.append("epoch \(epoch)/\(epochs)") }
        if let step { counters.append("step \(step)" + (total.map { "/\($0)" } ?? "")) }
        if let loss { counters.append("loss " + String(format: "%.4f", loss)) }
        if let tokensPerSecond, tokensPerSecond.isFinite { counters.append("\(Int(tokensPerSecond)) tok/s") }
        if let eta { counters.append("ETA " + FineTune.formatDuration(eta)) }
        let line = counters.joined(separator: " ")
        return phase.isEmpty ? line : line.isEmpty ? phase : phase + " · " + line
    }
}

public typealias EventSink = @Sendable (WorkbenchEvent) -> Void

/// Set from any thread (the `c` key, SIGINT); long loops check it between steps.
/// A background job (the Mixer's landscape) is also paused through it while a foreground one
/// runs: its loops wait at their next check until resumed, keeping what they computed so far.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    public func pause() { paused.store(true, ordering: .relaxed) }
    public func resume() { paused.store(false, ordering: .relaxed) }
    public var isPaused: Bool { paused.load(ordering: .relaxed) }
    /// Returns when not paused, or once cancelled.
    public func waitWhilePaused() {
        while isPaused && !isCancelled { usleep(10_000) }
    }
    /// Throws `FinemixError("cancelled")` once cancelled, for loops that stop by throwing.
    public func check() throws { if isCancelled { throw FinemixError.cancelled } }
}

extension FinemixError {
    public static let cancelled = FinemixError("cancelled")
}
