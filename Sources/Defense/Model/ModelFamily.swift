/// The encoder families finemix runs, chosen from config.json's `model_type` (or, without one,
/// its `architectures`). Their encoders are the same post-LayerNorm transformer; they differ in
/// the embeddings (RoBERTa's positions counted past the padding index, DistilBERT's missing token
/// types, ELECTRA's narrower table projected up), in where dropout sits, in the classification
/// head's activation, and in the names their tensors are stored under. The engine keeps one set
/// of parameter slots, named as BERT names them ("canonical" names); each family maps its own
/// names onto those slots here.
public enum ModelFamily: String, Sendable, CaseIterable, Codable {
    case bert, roberta, xlmRoberta = "xlm-roberta", distilbert, electra

    /// The families as a sentence lists them.
    public static let supportedList = allCases.map(\.rawValue).joined(separator: ", ")

    /// From `model_type`, else from the first of `architectures` (`RobertaForSequenceClassification`
    /// → roberta); nil when neither names a family finemix runs.
    public static func detect(modelType: String?, architectures: [String]?) -> ModelFamily? {
        if let t = modelType { return ModelFamily(rawValue: t) }
        guard let arch = architectures?.first else { return .bert }
        let prefixes: [(String, ModelFamily)] = [("XLMRoberta", .xlmRoberta), ("Roberta", .roberta),
                                                 ("DistilBert", .distilbert), ("Electra", .electra), ("Bert", .bert)]
        return prefixes.first { arch.hasPrefix($0.0) }?.1
    }

    /// The prefix transformers' `*ForSequenceClassification` puts on the encoder's tensors.
    public var prefix: String {
        switch self {
        case .bert: return "bert."
        case .roberta, .xlmRoberta: return "roberta."
        case .distilbert: return "distilbert."
        case .electra: return "electra."
        }
    }

    /// `architectures` written into a saved config.json, with and without a classifier head.
    public func architecture(withHead: Bool) -> String {
        let stem: String
        switch self {
        case .bert: stem = "Bert"
        case .roberta: stem = "Roberta"
        case .xlmRoberta: stem = "XLMRoberta"
        case .distilbert: stem = "DistilBert"
        case .electra: stem = "Electra"
        }
        return stem + (withHead ? "ForSequenceClassification" : "Model")
    }

    /// RoBERTa and XLM-R number positions from padding_idx + 1 (`create_position_ids_from_input_ids`).
    public var positionsPastPadding: Bool { self == .roberta || self == .xlmRoberta }
    public var hasTokenTypes: Bool { self != .distilbert }
    /// DistilBERT's attention ends in `out_lin` with no dropout before the residual.
    public var dropoutAfterAttentionOutput: Bool { self != .distilbert }
    /// RobertaClassificationHead and ElectraClassificationHead drop out the first token before `dense`.
    public var dropoutBeforeHead: Bool { self == .roberta || self == .xlmRoberta || self == .electra }
    /// The head is dense + this + dropout + linear on the first token, in every family.
    public var headActivation: Activation {
        switch self {
        case .bert, .roberta, .xlmRoberta: return .tanh
        case .distilbert: return .relu
        case .electra: return .gelu
        }
    }

    /// Whether a canonical tensor belongs to the classification head, which an attack starts
    /// fresh and `--head reinit` draws afresh: `classifier.*` in every family, and the pooler slot
    /// where it holds the head's own dense layer (RoBERTa, XLM-R and ELECTRA's `classifier.dense`,
    /// DistilBERT's `pre_classifier`). BERT's pooler is part of the pre-trained BertModel.
    public func isHead(_ canonical: String) -> Bool {
        canonical.hasPrefix("classifier.") || (self != .bert && canonical.hasPrefix("pooler."))
    }

    // MARK: names

    /// Canonical head names → this family's stored names (without the encoder prefix).
    private var headNames: [(canonical: String, stored: String)] {
        switch self {
        case .bert: return [("pooler.dense.", "pooler.dense."), ("classifier.", "classifier.")]
        case .roberta, .xlmRoberta, .electra:
            return [("pooler.dense.", "classifier.dense."), ("classifier.", "classifier.out_proj.")]
        case .distilbert: return [("pooler.dense.", "pre_classifier."), ("classifier.", "classifier.")]
        }
    }

    /// DistilBERT's layer tensor names (after `transformer.layer.N.`) → BERT's (after `encoder.layer.N.`).
    private static let distilLayer: [(String, String)] = [
        ("attention.q_lin.", "attention.self.query."), ("attention.k_lin.", "attention.self.key."),
        ("attention.v_lin.", "attention.self.value."), ("attention.out_lin.", "attention.output.dense."),
        ("sa_layer_norm.", "attention.output.LayerNorm."), ("ffn.lin1.", "intermediate.dense."),
        ("ffn.lin2.", "output.dense."), ("output_layer_norm.", "output.LayerNorm."),
    ]

    /// The engine's name for a stored tensor, nil for a tensor the family's classifier does not use
    /// (RoBERTa's pooler, ELECTRA's discriminator_predictions, DistilBERT's vocab_projector, ...).
    /// The prefix is optional: a bare `*Model` is saved without it.
    public func canonical(_ stored: String) -> String? {
        var name = stored
        for (c, s) in headNames where name.hasPrefix(s) {
            // a bare head name: only BERT's pooler also appears under the prefix
            return c + name.dropFirst(s.count)
        }
        if name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
        if name.hasSuffix("LayerNorm.gamma") { name = String(name.dropLast(5)) + "weight" }
        else if name.hasSuffix("LayerNorm.beta") { name = String(name.dropLast(4)) + "bias" }
        switch self {
        case .bert:
            return name
        case .roberta, .xlmRoberta:
            return name.hasPrefix("embeddings.") || name.hasPrefix("encoder.") ? name : nil
        case .electra:
            return name.hasPrefix("embeddings.") || name.hasPrefix("encoder.") || name.hasPrefix("embeddings_project.") ? name : nil
        case .distilbert:
            if name.hasPrefix("embeddings.") { return name }
            let parts = name.split(separator: ".", maxSplits: 3).map(String.init)
            guard parts.count == 4, parts[0] == "transformer", parts[1] == "layer", Int(parts[2]) != nil else { return nil }
            for (d, b) in Self.distilLayer where parts[3].hasPrefix(d) {
                return "encoder.layer.\(parts[2])." + b + parts[3].dropFirst(d.count)
            }
            return nil
        }
    }

    /// The name transformers stores a canonical tensor under, in a `*ForSequenceClassification`
    /// (`withHead`) or a bare `*Model`.
    public func stored(_ canonical: String, withHead: Bool) -> String {
        for (c, s) in headNames where canonical.hasPrefix(c) {
            // BERT's pooler is part of BertModel: prefixed like the encoder
            if self == .bert && c == "pooler.dense." { break }
            return s + canonical.dropFirst(c.count)
        }
        var name = canonical
        if self == .distilbert, name.hasPrefix("encoder.layer.") {
            let parts = name.split(separator: ".", maxSplits: 3).map(String.init)
            for (d, b) in Self.distilLayer where parts[3].hasPrefix(b) {
                name = "transformer.layer.\(parts[2])." + d + parts[3].dropFirst(b.count)
                break
            }
        }
        return withHead ? prefix + name : name
    }

    /// The family's own name for a canonical layer group or tensor, for display (the Layers pane):
    /// `encoder.layer.3.ffn` is `transformer.layer.3.ffn` in DistilBERT, `pooler` is `pre_classifier`.
    public func displayName(_ canonical: String) -> String {
        switch canonical {
        case "pooler":
            switch self {
            case .bert: return "pooler"
            case .roberta, .xlmRoberta, .electra: return "classifier.dense"
            case .distilbert: return "pre_classifier"
            }
        case "classifier": return "classifier"
        default: break
        }
        if canonical.hasPrefix("pooler.") || canonical.hasPrefix("classifier.") || canonical.hasPrefix("encoder.layer.") {
            let s = stored(canonical, withHead: false)
            if self == .distilbert, canonical.hasPrefix("encoder.layer."), !s.hasPrefix("transformer.") {
                return "transformer" + canonical.dropFirst("encoder".count)
            }
            return s
        }
        return canonical
    }
}
