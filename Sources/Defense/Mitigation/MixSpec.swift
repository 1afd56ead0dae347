/// What a mix is, as reports record it: the mask is reproducible from these fields alone.
///
///     {"rho": 0.3, "select": "random", "scope": "global", "layers": {}, "seed": 7, "head": "keep"}
///
/// ρ is the fraction of weights KEPT from the victim (docs/method.md): 1 is the victim, 0 the
/// pre-trained model. With scope `layer`, `layers[group]` overrides ρ for that layer group
/// (`embeddings`, `encoder.layer.i.attention`, `encoder.layer.i.ffn`, `pooler`, as the drift
/// report names them); groups not listed use `rho`.
public struct MixSpec: Codable, Equatable, Sendable {
    public enum Select: String, Codable, CaseIterable, Sendable {
        /// i.i.d. Bernoulli(ρ) per weight (the paper's main method).
        case random
        /// The round(ρ·n) entries of each tensor with the largest |Δ|.
        case largest
        /// The round(ρ·n) entries of each tensor with the smallest |Δ|.
        case smallest
    }

    public enum Scope: String, Codable, CaseIterable, Sendable {
        case global
        case layer
    }

    public enum Head: String, Codable, CaseIterable, Sendable {
        /// The victim's classifier head, unchanged.
        case keep
        /// Fresh N(0, 0.02) weights and zero bias, drawn from the seed.
        case reinit
    }

    public var rho: Double
    public var select: Select
    public var scope: Scope
    public var layers: [String: Double]
    public var seed: UInt64
    public var head: Head

    public init(rho: Double, select: Select = .random, scope: Scope = .global, layers: [String: Double] = [:],
                seed: UInt64 = 0, head: Head = .keep) {
        self.rho = rho; self.select = select; self.scope = scope; self.layers = layers
        self.seed = seed; self.head = head
    }

    /// A per-layer spec: `layers` overrides `rho` for the groups it names.
    public static func perLayer(_ layers: [String: Double], default rho: Double, select: Select = .random,
                                seed: UInt64 = 0, head: Head = .keep) -> MixSpec {
        MixSpec(rho: rho, select: select, scope: .layer, layers: layers, seed: seed, head: head)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rho = try c.decode(Double.self, forKey: .rho)
        select = try c.decodeIfPresent(Select.self, forKey: .select) ?? .random
        scope = try c.decodeIfPresent(Scope.self, forKey: .scope) ?? .global
        layers = try c.decodeIfPresent([String: Double].self, forKey: .layers) ?? [:]
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        head = try c.decodeIfPresent(Head.self, forKey: .head) ?? .keep
    }

    /// The ρ that applies to a tensor's layer group.
    public func rho(forGroup group: String) -> Double {
        scope == .layer ? (layers[group] ?? rho) : rho
    }

    /// ρ in [0, 1] (NaN refused) for the global value and every per-layer value.
    public func validate() throws {
        func check(_ r: Double, _ what: String) throws {
            guard r.isFinite, r >= 0, r <= 1 else {
                throw FinemixError("mix: \(what) must be a fraction between 0 and 1 (the share of weights kept from the victim), found \(r)")
            }
        }
        try check(rho, "rho")
        for (group, r) in layers.sorted(by: { $0.key < $1.key }) { try check(r, "rho of layer \(group)") }
        if scope == .global, !layers.isEmpty {
            throw FinemixError("mix: per-layer rho values were given (\(layers.keys.sorted().joined(separator: ", "))) but the scope is global; use scope layer")
        }
    }
}
