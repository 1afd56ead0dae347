/// `mix RHO ...`: keeps the RHO fraction of the victim's weights, the rest from the pre-trained model.
struct MixVerb: Verb {
    static let verb = "mix"
    static let usage = "mix RHO [select=random|largest|smallest] [seed=1] [head=keep|reinit]"
    static let summary = "keep the RHO fraction of the victim's weights, take the rest from the pre-trained model"
    static let options = ["select", "seed", "head"]
    static let arguments = 1...1

    var rho: Double
    var select: MixSpec.Select
    var seed: UInt64
    var head: MixSpec.Head

    init(_ c: Command) throws {
        rho = try fraction(c.arguments[0], "mix: ρ must be a number in [0, 1]")
        select = try MixVerb.selection(c)
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        head = try MixSpec.Head(rawValue: c.choice("head", default: "keep", from: MixSpec.Head.allCases.map(\.rawValue)))!
    }

    /// The `select=` option (`sweep` mixes the same way).
    static func selection(_ c: Command) throws -> MixSpec.Select {
        try MixSpec.Select(rawValue: c.choice("select", default: "random", from: MixSpec.Select.allCases.map(\.rawValue)))!
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
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

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        guard let cur = names.current else { return nil }
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
