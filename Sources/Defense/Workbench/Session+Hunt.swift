import Foundation

/// The trigger hunt in the workbench, and the trigger ASR is measured with when none is known.
extension Session {
    /// Hunts on the current variant with the defender's clean pool (clean set and held-out).
    func runHunt(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let pre = try requirePre()
        let v = try requireCurrent()
        let d = try requireData()
        let options = try HuntArguments(c).options
        let model = try materialise(v)
        let (report, epur) = try TriggerHunt.run(pre: pre.weights, victim: model, victimWeights: v.weights, tokenizer: tokenizer(),
                                                 clean: d.clean + d.heldOut, maxLength: d.maxLength, options: options,
                                                 events: events, cancel: cancel)
        hunt = report
        huntedVariant = v.name
        if epurReport == nil { epurReport = epur }
        var results = ["candidates": Double(report.candidates.count), "suspected": report.verdict.suspected ? 1 : 0]
        if let top = report.candidates.first { results["top_flip_rate"] = top.flipRate }
        let extra = poison == nil && report.suspect != nil ? "; ASR is now estimated with it until a trigger is named" : ""
        return Outcome(message: "hunt on \(v.name): \(report.verdict.text)\(extra)", results: results)
    }

    /// The trigger ASR is measured with: the known one (planted, recorded or named), else the
    /// hunt's suspect (estimated); nil when there is neither.
    public var asrBasis: ASRBasis? {
        if let poison { return ASRBasis(trigger: poison.trigger, target: poison.targetLabel, estimated: false) }
        if let s = hunt?.suspect { return ASRBasis(trigger: s.trigger, target: s.target, estimated: true) }
        return nil
    }

    /// The poisoning that builds the ASR set: the known one, or the suspect's with the same seed rule.
    var asrConfig: PoisonConfig? {
        if let poison { return poison }
        guard let b = asrBasis else { return nil }
        return PoisonConfig(trigger: b.trigger, rate: 0, targetLabel: b.target, seed: 1)
    }
}

struct HuntArguments {
    var options: TriggerHunt.Options

    init(_ c: Command) throws {
        let d = TriggerHunt.Options()
        options = TriggerHunt.Options(top: try c.int("top", default: d.top, in: 1...10_000),
                                      combine: try c.int("combine", default: d.combine, in: 0...20),
                                      sentences: try c.int("sentences", default: d.sentences, in: 1...1_000_000),
                                      threshold: try c.double("threshold", default: d.threshold, in: 0.01...1))
    }
}
