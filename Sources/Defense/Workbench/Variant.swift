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
}

extension Variant {
    public var summary: VariantSummary {
        VariantSummary(name: name, recipe: recipe.joined(separator: " | "), acc: metrics?.acc, asr: metrics?.asr,
                       nTest: metrics?.nTest, nAsr: metrics?.nPoisonedTest, seconds: seconds)
    }
}
