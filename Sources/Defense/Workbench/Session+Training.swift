import Foundation

/// Planting a backdoor, fine-tuning, pruning, evaluating and sweeping ρ.
extension Session {
    func attack(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        throw FinemixError("attack: not available in this build yet")
    }
    func finetune(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        throw FinemixError("finetune: not available in this build yet")
    }
    func prune(_ c: Command, events: EventSink) throws -> Outcome {
        throw FinemixError("prune: not available in this build yet")
    }
    func evaluate(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        throw FinemixError("eval: not available in this build yet")
    }
    func runSweep(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        throw FinemixError("sweep: not available in this build yet")
    }
    func report(_ c: Command) throws -> Outcome {
        throw FinemixError("report: not available in this build yet")
    }
}
