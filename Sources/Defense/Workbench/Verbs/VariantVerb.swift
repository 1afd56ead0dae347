/// `variant NAME`: a recorded variant becomes current again.
struct VariantVerb: Verb {
    static let verb = "variant"
    static let usage = "variant NAME"
    static let summary = "make a recorded variant current again (victim, pre, or a name from the Variants table)"
    static let options: [String] = []
    static let arguments = 1...1

    var name: String

    init(_ c: Command) { name = c.arguments[0] }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        if name == "pre" {
            let pre = try s.requirePre()
            guard let head = s.victim else { throw FinemixError("variant pre: load a victim first (its head is needed)") }
            // the pre-trained encoder with the victim's head: ρ = 0 without fine-tuning
            let mixed = try MixedWeights(pre: pre.weights, victim: head.weights, spec: MixSpec(rho: 0))
            s.adopt(Variant(name: "pre", recipe: ["mix 0"], weights: mixed, config: head.config))
            return Session.Outcome(message: "current: pre-trained encoder with the victim's head")
        }
        guard let v = s.variants.first(where: { $0.name == name }) else {
            throw FinemixError("variant: no variant named '\(name)'; variants: \(s.variants.map(\.name).joined(separator: ", "))")
        }
        s.adopt(v, record: false)
        return Session.Outcome(message: "current: \(v.name)")
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        if name == "pre" {
            guard names.victimLoaded else { return "variant pre: no earlier line loads a victim (its head is needed)" }
            names.adopt(.init(name: "pre"))
        } else if let e = names.variants.first(where: { $0.name == name }) {
            names.adopt(e, record: false)
        } else {
            var made = names.variants.map(\.name)
            if names.victimLoaded && !made.contains("pre") { made.append("pre") }
            let known = made.map { "'\($0)'" }
            return "variant: no earlier line makes a variant named '\(name)'"
                + (known.isEmpty ? " (none is made before this line)" : "; variants at this line: \(known.joined(separator: ", "))")
        }
        return nil
    }
}
