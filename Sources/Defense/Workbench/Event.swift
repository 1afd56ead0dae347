import Foundation
import Synchronization

/// What long work reports while it runs. The TUI turns these into messages; the CLI prints them
/// to stderr. Plain data only, so they cross threads freely.
public enum WorkbenchEvent: Sendable, Equatable {
    /// `fraction` in [0, 1]; `detail` is a short human line ("step 40/120, 1,430 tok/s").
    case progress(job: String, fraction: Double, detail: String)
    /// One point of a live series: "loss", "acc", "asr" against the training step.
    case metric(series: String, step: Int, value: Double)
    case log(Level, String)
    case finished(job: String, summary: String)
    case failed(job: String, message: String)

    public enum Level: String, Sendable { case info, warning, error }
}

public typealias EventSink = @Sendable (WorkbenchEvent) -> Void

/// Set from any thread (the `c` key, SIGINT); long loops check it between steps.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
    /// Throws `FinemixError("cancelled")` once cancelled, for loops that stop by throwing.
    public func check() throws { if isCancelled { throw FinemixError.cancelled } }
}

extension FinemixError {
    public static let cancelled = FinemixError("cancelled")
}
