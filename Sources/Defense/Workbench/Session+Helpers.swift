import Foundation

/// What several verbs share: the model a variant's weights make, the tokenizer, the checks
/// between the pre-trained model and a victim, and the number formats of their messages.
extension Session {
    func checkCompatible(pre: BertConfig, victim: BertConfig, victimPath: String) throws {
        try CheckpointFolder.checkSameFamily(pre: pre, victim: victim, prePath: "the pre-trained model", victimPath: victimPath)
        let pairs: [(String, Int, Int)] = [
            ("hidden_size", pre.hiddenSize, victim.hiddenSize),
            ("num_hidden_layers", pre.numHiddenLayers, victim.numHiddenLayers),
            ("vocab_size", pre.vocabSize, victim.vocabSize),
            ("intermediate_size", pre.intermediateSize, victim.intermediateSize),
        ]
        for (key, a, b) in pairs where a != b {
            throw FinemixError("\(victimPath): \(key) is \(b) but the pre-trained model has \(a); the victim must be fine-tuned from this pre-trained model")
        }
    }

    /// The test and triggered sentences `finetune` scores every few steps (the Monitor's live curves).
    public static let probeSize = 200

    func tokenizer() throws -> Tokenizer {
        try Tokenizer(vocabURL: requirePre().vocabURL)
    }

    /// The variant's weights in an engine model; refuses weights without a classifier head.
    func materialise(_ v: Variant) throws -> BertModel {
        let params = BertParameters(config: v.config)
        let loaded = try params.load(from: v.weights)
        guard loaded.loadedClassifier else { throw FinemixError("\(v.name): no classifier head to evaluate or train") }
        return BertModel(params: params)
    }

    /// Updates the current variant in place (metrics), in the Variants table too.
    func replaceCurrent(_ v: Variant) {
        current = v
        if let i = variants.firstIndex(where: { $0.name == v.name }) { variants[i] = v }
    }
}

func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
