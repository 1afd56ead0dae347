/// `mix RHO ...`: keeps the RHO fraction of the victim's weights, the rest from the pre-trained model.
struct MixVerb: Verb {
    static let verb = "mix"
    static let usage = "mix RHO [select=random|largest|smallest] [seed=1] [head=keep|reinit]"
    static let summary = "keep the RHO fraction of the victim's weights, take the rest from the pre-trained model (RHO auto: the automatic rule chooses it)"
    static let options = ["select", "seed", "head"]
    static let arguments = 1...1

    /// nil: `mix auto` (the automatic rule chooses ρ).
    var rho: Double?
    var select: MixSpec.Select
    var seed: UInt64
    var head: MixSpec.Head

    init(_ c: Command) throws {
        rho = c.arguments[0].lowercased() == "auto" ? nil : try fraction(c.arguments[0], "mix: ρ must be a number in [0, 1]")
        select = try MixVerb.selection(c)
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        head = try MixSpec.Head(rawValue: c.choice("head", default: "keep", from: MixSpec.Head.allCases.map(\.rawValue)))!
    }

    /// The `select=` option (`sweep` mixes the same way).
    static func selection(_ c: Command) throws -> MixSpec.Select {
        try MixSpec.Select(rawValue: c.choice("select", default: "random", from: MixSpec.Select.allCases.map(\.rawValue)))!
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        guard let rho else { return try runAuto(c, on: s, events: events, cancel: cancel) }
        let pre = try s.requirePre()
        let v = try s.requireCurrent()
        let layerRho = s.layerRho
        let spec = layerRho.isEmpty
            ? MixSpec(rho: rho, select: select, seed: seed, head: head)
            : MixSpec.perLayer(layerRho, default: rho, select: select, seed: seed, head: head)
        // Moving the slider re-mixes the model the last mix was taken of, never a mix of a mix.
        let base = v.mixBase ?? MixBase(name: v.name, recipe: v.recipe, weights: v.weights, config: v.config)
        let mixed = try MixedWeights(pre: pre.weights, victim: base.weights, spec: spec, family: base.config.family ?? .bert)
        // Per-layer ρ is part of what the mix is: in its name and, as the `rho` lines that set
        // it, in its recipe (reports print the recipe; replaying it gives the same mix).
        let rhoSteps = VariantNames.layerOrder(layerRho).map { Command(verb: "rho", arguments: [$0, fmt(layerRho[$0]!)]).description }
        var out = Variant(name: s.uniqueName(VariantNames.mix(of: base.name, rho: rho, layers: layerRho)),
                          recipe: base.recipe + rhoSteps + [c.description], weights: mixed, config: base.config)
        out.mix = spec
        out.mixBase = base
        s.adopt(out)
        return Session.Outcome(message: "\(out.name): keeps \(fmt(rho)) of \(base.name)'s weights (\(select.rawValue), seed \(seed))",
                               results: ["rho": rho])
    }

    /// `mix auto`: `AutomaticRho.run` on the loaded victim (every ρ of its default grid, the
    /// session's clean set, judged on its held-out sentences), then `mix` at the chosen ρ.
    private func runAuto(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        guard let victim = s.victimFolder else { throw FinemixError("mix auto: load or plant a victim first") }
        let d = try s.requireData()
        guard !d.heldOut.isEmpty else { throw FinemixError("mix auto: the data holds no held-out clean sentences to judge ρ with") }
        // The estimated ASR comes from the hunt's suspects, never from a recorded trigger.
        if s.hunt == nil { _ = try HuntVerb.run(Command(verb: "hunt"), on: s, events: events, cancel: cancel) }
        let triggers = try s.hunt.map { try HeldOutTrigger.suspects(of: $0, heldOut: d.heldOut, numLabels: d.dataset.numLabels) } ?? []
        let budget = FineTuneBudget.defaults
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: seed, maxLength: d.maxLength)
        let asr = try s.asrSet()
        let data = RhoSweep.Data(clean: d.clean, heldOut: d.heldOut, test: d.split.test, asrSet: asr ?? [],
                                 basis: asr == nil ? nil : s.asrBasis, heldOutTriggers: triggers)
        let choice = try AutomaticRho.run(pre: pre, victim: victim, data: data, grid: try parseRange(AutomaticRho.defaultGrid, name: "rho"),
                                          recipe: recipe, events: events, cancel: cancel).choice
        s.autoRho = choice
        guard let chosen = choice.rho else { throw FinemixError("mix auto: " + choice.reason) }
        var fixed = c
        fixed.arguments[0] = fmt(chosen)
        var out = try MixVerb.run(fixed, on: s, events: events, cancel: cancel)
        out.message = "automatic " + choice.reason + "; " + out.message
        out.results["auto_rho"] = chosen
        return out
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        // `mix auto`'s ρ (and so its variant's name) is known only when it runs.
        guard let cur = names.current, let rho else { return nil }
        let base = cur.mixBase ?? cur.name
        names.adopt(.init(name: names.unique(VariantNames.mix(of: base, rho: rho, layers: names.layerRho)), mixBase: base))
        return nil
    }
}

/// A finite number in [0, 1]; `Double` alone also reads "nan" and "inf".
func fraction(_ text: String, _ what: String) throws -> Double {
    guard let v = Double(text), v.isFinite, (0...1).contains(v) else { throw FinemixError("\(what), found '\(text)'") }
    return v
}
