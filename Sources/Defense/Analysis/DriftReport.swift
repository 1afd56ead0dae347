/// What `finemix inspect` reports and the TUI shows: where a fine-tuned (victim) model moved away
/// from its pre-trained weights. JSON keys are those of issue 2 item 8; flags appear only when set.
public struct DriftReport: Codable, Equatable, Sendable {
    public var tensors: [TensorDrift]
    public var layers: [LayerDrift]
    public var onlyInPre: [String]
    public var onlyInVictim: [String]
    /// The top K word-embedding rows by drift (rows that did not move are left out).
    public var tokens: [TokenDrift]
    /// |Δ| above this counts as changed in `changed_frac` (recorded, as docs/method.md asks of options).
    public var changedThreshold: Double

    enum CodingKeys: String, CodingKey {
        case tensors, layers, tokens
        case onlyInPre = "only_in_pre", onlyInVictim = "only_in_victim"
        case changedThreshold = "changed_threshold"
    }

    public init(tensors: [TensorDrift], layers: [LayerDrift], onlyInPre: [String], onlyInVictim: [String],
                tokens: [TokenDrift], changedThreshold: Double) {
        self.tensors = tensors; self.layers = layers; self.onlyInPre = onlyInPre
        self.onlyInVictim = onlyInVictim; self.tokens = tokens; self.changedThreshold = changedThreshold
    }
}

public struct TensorDrift: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    /// ‖Δ‖ / ‖pre‖; when the pre-trained tensor is all zeros, ‖Δ‖ itself and `zeroNorm` is set.
    public var relL2: Double
    /// cosine(victim, pre); 1 when both are zero, 0 when exactly one is.
    public var cosine: Double
    public var maxAbs: Double
    public var changedFrac: Double
    public var zeroNorm: Bool
    /// Counts of Δ in equal bins over [-max_abs, max_abs], when asked for (`Drift.Options.histogramBins`).
    /// Symmetric on purpose: a lopsided shape shows a tensor pushed one way, as a planted
    /// backdoor's embedding rows or biases are.
    public var histogram: [Int]?
    /// ‖Δ‖ and ‖pre‖, kept for aggregation; not part of the JSON.
    public var deltaNorm: Double = 0
    public var preNorm: Double = 0

    enum CodingKeys: String, CodingKey {
        case name, shape, cosine, histogram
        case relL2 = "rel_l2", maxAbs = "max_abs", changedFrac = "changed_frac", zeroNorm = "zero_norm"
    }

    public init(name: String, shape: [Int], relL2: Double, cosine: Double, maxAbs: Double, changedFrac: Double,
                zeroNorm: Bool, deltaNorm: Double, preNorm: Double) {
        self.name = name; self.shape = shape; self.relL2 = relL2; self.cosine = cosine; self.maxAbs = maxAbs
        self.changedFrac = changedFrac; self.zeroNorm = zeroNorm; self.deltaNorm = deltaNorm; self.preNorm = preNorm
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        shape = try c.decode([Int].self, forKey: .shape)
        relL2 = try c.decode(Double.self, forKey: .relL2)
        cosine = try c.decode(Double.self, forKey: .cosine)
        maxAbs = try c.decode(Double.self, forKey: .maxAbs)
        changedFrac = try c.decode(Double.self, forKey: .changedFrac)
        zeroNorm = try c.decodeIfPresent(Bool.self, forKey: .zeroNorm) ?? false
        histogram = try c.decodeIfPresent([Int].self, forKey: .histogram)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(shape, forKey: .shape)
        try c.encode(relL2, forKey: .relL2)
        try c.encode(cosine, forKey: .cosine)
        try c.encode(maxAbs, forKey: .maxAbs)
        try c.encode(changedFrac, forKey: .changedFrac)
        if zeroNorm { try c.encode(true, forKey: .zeroNorm) }
        if let histogram { try c.encode(histogram, forKey: .histogram) }
    }
}

/// One group of tensors: `embeddings`, `encoder.layer.i.attention`, `encoder.layer.i.ffn`
/// (intermediate + output), `pooler`, and the classifier head, which is `new` (no pre-trained
/// counterpart, `rel_l2` null).
public struct LayerDrift: Codable, Equatable, Sendable {
    public var name: String
    /// sqrt(Σ‖Δ‖²) / sqrt(Σ‖pre‖²) over the group's tensors; nil for a new layer.
    public var relL2: Double?
    public var isNew: Bool
    public var zeroNorm: Bool

    enum CodingKeys: String, CodingKey {
        case name, relL2 = "rel_l2", isNew = "new", zeroNorm = "zero_norm"
    }

    public init(name: String, relL2: Double?, isNew: Bool = false, zeroNorm: Bool = false) {
        self.name = name; self.relL2 = relL2; self.isNew = isNew; self.zeroNorm = zeroNorm
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        relL2 = try c.decodeIfPresent(Double.self, forKey: .relL2)
        isNew = try c.decodeIfPresent(Bool.self, forKey: .isNew) ?? false
        zeroNorm = try c.decodeIfPresent(Bool.self, forKey: .zeroNorm) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if let relL2 { try c.encode(relL2, forKey: .relL2) } else { try c.encodeNil(forKey: .relL2) }
        if isNew { try c.encode(true, forKey: .isNew) }
        if zeroNorm { try c.encode(true, forKey: .zeroNorm) }
    }
}

public struct TokenDrift: Codable, Equatable, Sendable {
    public var token: String
    public var id: Int
    /// ‖E_victim[id] − E_pre[id]‖₂
    public var drift: Double

    public init(token: String, id: Int, drift: Double) {
        self.token = token; self.id = id; self.drift = drift
    }
}

/// Which layer group a canonical tensor name belongs to.
public enum LayerGroups {
    public static func group(of name: String) -> String {
        let parts = name.split(separator: ".")
        if parts.first == "encoder", parts.count >= 4, parts[1] == "layer", Int(parts[2]) != nil {
            let base = "encoder.layer.\(parts[2])"
            switch parts[3] {
            case "attention": return base + ".attention"
            case "intermediate", "output": return base + ".ffn"
            default: return base + "." + parts[3]
            }
        }
        if CheckpointNames.isHead(name) { return "classifier" }
        return parts.first.map(String.init) ?? name
    }

    /// Model order: embeddings, encoder layers by index (attention before ffn), pooler, head, rest.
    public static func sortKey(_ group: String) -> (Int, Int, Int, String) {
        let parts = group.split(separator: ".")
        if group == "embeddings" { return (0, 0, 0, group) }
        if group == "embeddings_project" { return (0, 1, 0, group) }
        if parts.count >= 3, parts[0] == "encoder", let i = Int(parts[2]) {
            let sub = parts.count > 3 ? (parts[3] == "attention" ? 0 : parts[3] == "ffn" ? 1 : 2) : 2
            return (1, i, sub, group)
        }
        if group == "pooler" { return (2, 0, 0, group) }
        if group == "classifier" { return (3, 0, 0, group) }
        return (4, 0, 0, group)
    }
}
