import Foundation

/// `mix auto`: Fine-mixing of the loaded victim at every ρ of 0:1:0.1 on the session's clean set,
/// judged on its held-out sentences by `AutomaticRho`, then `mix` at the chosen ρ.
extension Session {
    func mixAuto(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let pre = try requirePre()
        guard let victim = victimFolder else { throw FinemixError("mix auto: load or plant a victim first") }
        let d = try requireData()
        guard !d.heldOut.isEmpty else { throw FinemixError("mix auto: the data holds no held-out clean sentences to judge ρ with") }
        // The estimated ASR comes from the hunt's suspects, never from a recorded trigger.
        if hunt == nil { _ = try runHunt(Command(verb: "hunt"), events: events, cancel: cancel) }
        let numLabels = d.dataset.numLabels
        let triggers = try (hunt?.suspects() ?? []).map {
            try HeldOutTrigger(basis: ASRBasis(trigger: $0.trigger, target: $0.target, estimated: true), heldOut: d.heldOut,
                               numLabels: numLabels, seed: 1)
        }
        let a = try MixArguments(c)
        let budget = try FineTuneArguments(c)
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: a.select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: a.seed, maxLength: d.maxLength)
        let asr = try asrSet()
        let data = RhoSweep.Data(clean: d.clean, heldOut: d.heldOut, test: d.split.test, asrSet: asr ?? [],
                                 basis: asr == nil ? nil : asrBasis, heldOutTriggers: triggers)
        let result = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                      options: RhoSweep.Options(rhos: try parseRange("0:1:0.1", name: "rho"), mixing: false, recipe: recipe),
                                      events: events, cancel: cancel)
        let choice = AutomaticRho.choose(result.points, nHeldOut: d.heldOut.count, triggers: triggers)
        autoRho = choice
        guard let rho = choice.rho else { throw FinemixError("mix auto: " + choice.reason) }
        var fixed = c
        fixed.arguments[0] = fmt(rho)
        var out = try mix(fixed, events: events, cancel: cancel)
        out.message = "automatic " + choice.reason + "; " + out.message
        out.results["auto_rho"] = rho
        return out
    }
}
