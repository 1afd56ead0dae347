/// `rho LAYER VALUE`: a per-layer mixing ratio for the next `mix`.
struct RhoVerb: Verb {
    static let verb = "rho"
    static let usage = "rho LAYER VALUE"
    static let summary = "set a per-layer mixing ratio (scope becomes per layer)"
    static let options: [String] = []
    static let arguments = 2...2

    /// Checked against the pre-trained model's layers when it runs.
    var layer: String
    var value: Double

    init(_ c: Command) throws {
        layer = c.arguments[0]
        value = try fraction(c.arguments[1], "rho: the value must be a number in [0, 1]")
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        let known = Set(pre.weights.tensorNames.map(LayerGroups.group(of:)))
            .sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }
        guard known.contains(layer) else {
            throw FinemixError("rho: unknown layer '\(layer)'; layers: \(known.joined(separator: ", "))")
        }
        s.layerRho[layer] = value
        return Session.Outcome(message: "ρ[\(layer)] = \(fmt(value)) (the next mix is per layer)")
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        names.layerRho[layer] = value
        return nil
    }
}
