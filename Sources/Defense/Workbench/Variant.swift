import Foundation

/// One model the session has made: the victim, the pre-trained model, a mix, a purified or
/// fine-tuned model. Weights are a `TensorSource`: lazy compositions (mix, E-PUR) until a
/// fine-tune materialises them.
public struct Variant {
    public var name: String
    /// The steps that made it, in the command language ("mix 0.3 seed=7 | epur top=200 | finetune").
    public var recipe: [String]
    public var weights: any TensorSource
    public var config: BertConfig
    public var metrics: EvaluationResult?
    /// The mix behind it, when there is one (the Mixer and sweep read it).
    public var mix: MixSpec?
    public var epur: EPURReport?
    /// For a mix: the model it was taken of, so moving ρ re-mixes that model, not the mix.
    public var mixBase: MixBase?
    /// Feed-forward neurons a `prune` zeroed; fine-tuning keeps them at zero.
    public var pruneMask = PruneMask()
    public var seconds: Double = 0
    public var lossCurve: [Double] = []
}

public struct MixBase {
    public var name: String
    public var recipe: [String]
    public var weights: any TensorSource
    public var config: BertConfig
}

/// What the front end shows of a variant: plain data, safe to hand across threads.
public struct VariantSummary: Sendable, Equatable, Codable {
    public var name: String
    public var recipe: String
    public var acc: Double?
    public var asr: Double?
    public var nTest: Int?
    public var nAsr: Int?
    public var seconds: Double
    /// The trigger behind `asr`; `estimated` when it is the hunt's suspect.
    public var asrBasis: ASRBasis? = nil
}

extension Variant {
    public var summary: VariantSummary {
        VariantSummary(name: name, recipe: recipe.joined(separator: " | "), acc: metrics?.acc, asr: metrics?.asr,
                       nTest: metrics?.nTest, nAsr: metrics?.nPoisonedTest, seconds: seconds,
                       asrBasis: metrics?.asr == nil ? nil : metrics?.asrBasis)
    }
}

/// How the verbs name the variants they make ("victim + E-PUR + mix 0.30"). The session names
/// its variants with these and the script check predicts them with these, so a script's
/// `variant NAME` is checked against the very rule that will name the variant.
public enum VariantNames {
    /// A mix is named for the model it was taken of; a mix of the victim is just "mix ρ". Per-layer
    /// ρ is part of what the mix is, so the layers it overrides are in the name too.
    public static func mix(of base: String, rho: Double, layers: [String: Double] = [:]) -> String {
        let label = "mix \(fmt(rho))" + (layers.isEmpty ? ""
            : " (" + layerOrder(layers).map { "\($0) \(fmt(layers[$0]!))" }.joined(separator: ", ") + ")")
        return base == "victim" ? label : "\(base) + \(label)"
    }
    /// Overridden layers in the model's order (embeddings, encoder.layer.0..., pooler).
    public static func layerOrder(_ layers: [String: Double]) -> [String] {
        layers.keys.sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }
    }
    public static func epur(of base: String) -> String { "\(base) + E-PUR" }
    public static func finetune(of base: String) -> String { "\(base) + FT" }
    public static func prune(of base: String, ratio: Double) -> String { "\(base) + prune \(fmt(ratio))" }
}

/// The names a session has given, for naming the next variant `base`, `base#2`, `base#3`, ...:
/// the smallest suffix not taken. Names are only ever all dropped together (a new victim), so
/// the next free suffix of a base only grows and is remembered: the 500th "mix 0.30" of a long
/// session costs one look-up, not 500 scans of every variant (resuming stays linear).
struct TakenNames {
    private var taken: Set<String> = []
    private var next: [String: Int] = [:]

    mutating func insert(_ name: String) { taken.insert(name) }
    mutating func removeAll() { taken.removeAll(); next.removeAll() }

    mutating func unique(_ base: String) -> String {
        guard taken.contains(base) else { return base }
        var i = next[base] ?? 2
        while taken.contains("\(base)#\(i)") { i += 1 }
        next[base] = i
        return "\(base)#\(i)"
    }
}
