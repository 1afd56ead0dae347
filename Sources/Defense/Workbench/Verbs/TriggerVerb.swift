/// `trigger SPEC [target=N]`: the trigger ASR is measured with, when finemix did not plant it.
struct TriggerVerb: Verb {
    static let verb = "trigger"
    static let usage = "trigger word:cf,mn | sentence:\"...\" [target=1]"
    static let summary = "name the trigger ASR is measured with (when finemix did not plant the backdoor); target= its label (default: the hunt's, else 1)"
    static let options = ["target"]
    static let arguments = 1...1

    var trigger: Trigger
    /// Checked against the dataset's labels when it runs.
    var target: Int?

    init(_ c: Command) throws {
        trigger = try Trigger.parse(c.arguments[0])
        target = try c.options["target"].map { _ in try c.int("target", default: 0, in: 0...Int.max) }
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        var config = s.poison ?? PoisonConfig(trigger: trigger, seed: 1)
        config.trigger = trigger
        // Without target=: the hunt's target when it suspected this very trigger, else the one in force.
        if let target {
            let labels = s.data?.dataset.numLabels ?? s.current?.config.numLabels ?? 2
            guard target < labels else { throw FinemixError("trigger: target=\(target) is outside 0...\(labels - 1)") }
            config.targetLabel = target
        } else if s.poison == nil, let hit = s.hunt?.candidate(trigger) {
            config.targetLabel = hit.target
        }
        s.poison = config
        return Session.Outcome(message: "ASR is measured with trigger \(trigger), target label \(config.targetLabel)")
    }
}
