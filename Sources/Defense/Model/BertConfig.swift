import Foundation

/// An encoder's `config.json` (BERT, RoBERTa, XLM-R, DistilBERT, ELECTRA; see ModelFamily). Field
/// names and defaults are each family's transformers config class's, so a folder finemix saves
/// loads with that family's `*ForSequenceClassification.from_pretrained` unchanged. DistilBERT's
/// own keys (dim, n_layers, ...) are read into, and written back from, the same fields.
public struct BertConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int = 30522
    public var hiddenSize: Int = 768
    public var numHiddenLayers: Int = 12
    public var numAttentionHeads: Int = 12
    public var intermediateSize: Int = 3072
    public var hiddenAct: String = "gelu"
    public var hiddenDropoutProb: Double = 0.1
    public var attentionProbsDropoutProb: Double = 0.1
    public var maxPositionEmbeddings: Int = 512
    public var typeVocabSize: Int = 2
    public var initializerRange: Double = 0.02
    public var layerNormEps: Double = 1e-12
    public var padTokenId: Int = 0
    public var modelType: String = "bert"
    public var architectures: [String]? = nil
    /// HuggingFace keeps labels as string-keyed maps; `numLabels` is derived from them.
    public var id2label: [String: String]? = nil
    public var label2id: [String: Int]? = nil
    /// ELECTRA's word-embedding width, projected to hidden_size by `embeddings_project` when it
    /// differs; nil in the other families (their embeddings are hidden_size wide).
    public var embeddingSize: Int? = nil
    /// The head's dropout when set (BERT, RoBERTa, XLM-R, ELECTRA: `classifier_dropout`;
    /// DistilBERT: `seq_classif_dropout`), else hidden_dropout_prob.
    public var classifierDropout: Double? = nil
    /// DistilBERT's fixed sinusoidal position table; finemix refuses it (see validateConstants).
    public var sinusoidalPosEmbds: Bool = false

    /// nil for a model_type finemix does not run (validate refuses it by name).
    public var family: ModelFamily? { ModelFamily(rawValue: modelType) }
    public var embeddingWidth: Int { embeddingSize ?? hiddenSize }
    public var headDropout: Double { classifierDropout ?? hiddenDropoutProb }
    /// Tokens a sequence may hold: RoBERTa and XLM-R spend padding_idx + 1 positions before the first.
    public var maxSequenceLength: Int {
        family?.positionsPastPadding == true ? maxPositionEmbeddings - padTokenId - 1 : maxPositionEmbeddings
    }

    public var numLabels: Int { id2label?.count ?? 2 }
    public var headDim: Int { hiddenSize / numAttentionHeads }

    public init() {}

    public static let minilm: BertConfig = {
        var c = BertConfig()
        c.hiddenSize = 384; c.numHiddenLayers = 6; c.intermediateSize = 1536
        return c
    }()
    public static let bertBase = BertConfig()

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case initializerRange = "initializer_range", layerNormEps = "layer_norm_eps"
        case padTokenId = "pad_token_id", modelType = "model_type", architectures
        case id2label, label2id
    }

    /// The defaults of the family's transformers config class, for the fields a config.json omits.
    public static func defaults(_ family: ModelFamily?) -> BertConfig {
        var d = BertConfig()
        switch family {
        case .roberta?, .xlmRoberta?: d.padTokenId = 1
        case .electra?:
            d.embeddingSize = 128; d.hiddenSize = 256; d.numAttentionHeads = 4; d.intermediateSize = 1024
        case .distilbert?:
            d.numHiddenLayers = 6; d.classifierDropout = 0.2
        case .bert?, nil: break
        }
        if let f = family { d.modelType = f.rawValue }
        return d
    }

    enum DistilKeys: String, CodingKey {
        case dim, nLayers = "n_layers", nHeads = "n_heads", hiddenDim = "hidden_dim", activation, dropout
        case attentionDropout = "attention_dropout", seqClassifDropout = "seq_classif_dropout"
        case sinusoidalPosEmbds = "sinusoidal_pos_embds"
    }
    enum FamilyKeys: String, CodingKey {
        case embeddingSize = "embedding_size", classifierDropout = "classifier_dropout"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let type = try c.decodeIfPresent(String.self, forKey: .modelType)
        let arch = try c.decodeIfPresent([String].self, forKey: .architectures)
        let family = ModelFamily.detect(modelType: type, architectures: arch)
        let d = Self.defaults(family)
        if family == .distilbert {
            try decodeDistilBert(decoder, c, d)
            return
        }
        let f = try decoder.container(keyedBy: FamilyKeys.self)
        if family == .electra { embeddingSize = try f.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? d.embeddingSize }
        classifierDropout = try f.decodeIfPresent(Double.self, forKey: .classifierDropout)
        vocabSize = try get(.vocabSize, d.vocabSize)
        hiddenSize = try get(.hiddenSize, d.hiddenSize)
        numHiddenLayers = try get(.numHiddenLayers, d.numHiddenLayers)
        numAttentionHeads = try get(.numAttentionHeads, d.numAttentionHeads)
        intermediateSize = try get(.intermediateSize, d.intermediateSize)
        hiddenAct = try get(.hiddenAct, d.hiddenAct)
        hiddenDropoutProb = try get(.hiddenDropoutProb, d.hiddenDropoutProb)
        attentionProbsDropoutProb = try get(.attentionProbsDropoutProb, d.attentionProbsDropoutProb)
        maxPositionEmbeddings = try get(.maxPositionEmbeddings, d.maxPositionEmbeddings)
        typeVocabSize = try get(.typeVocabSize, d.typeVocabSize)
        initializerRange = try get(.initializerRange, d.initializerRange)
        layerNormEps = try get(.layerNormEps, d.layerNormEps)
        padTokenId = try get(.padTokenId, d.padTokenId)
        modelType = family?.rawValue ?? type ?? ""
        architectures = arch
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    }

    /// DistilBertConfig's own keys; its LayerNorm epsilon is fixed at 1e-12 and it has no token types.
    private mutating func decodeDistilBert(_ decoder: Decoder, _ c: KeyedDecodingContainer<CodingKeys>, _ d: BertConfig) throws {
        let k = try decoder.container(keyedBy: DistilKeys.self)
        func get<T: Decodable>(_ key: DistilKeys, _ fallback: T) throws -> T {
            try k.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        modelType = ModelFamily.distilbert.rawValue
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try get(.dim, d.hiddenSize)
        numHiddenLayers = try get(.nLayers, d.numHiddenLayers)
        numAttentionHeads = try get(.nHeads, d.numAttentionHeads)
        intermediateSize = try get(.hiddenDim, d.intermediateSize)
        hiddenAct = try get(.activation, d.hiddenAct)
        hiddenDropoutProb = try get(.dropout, d.hiddenDropoutProb)
        attentionProbsDropoutProb = try get(.attentionDropout, d.attentionProbsDropoutProb)
        classifierDropout = try get(.seqClassifDropout, d.classifierDropout ?? 0.2)
        sinusoidalPosEmbds = try get(.sinusoidalPosEmbds, false)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        initializerRange = try c.decodeIfPresent(Double.self, forKey: .initializerRange) ?? d.initializerRange
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
        typeVocabSize = 0
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    }

    /// Written in the family's own format, so its transformers config class reads back every value.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(initializerRange, forKey: .initializerRange)
        try c.encode(padTokenId, forKey: .padTokenId)
        try c.encode(modelType, forKey: .modelType)
        try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encodeIfPresent(id2label, forKey: .id2label)
        try c.encodeIfPresent(label2id, forKey: .label2id)
        if family == .distilbert {
            var k = encoder.container(keyedBy: DistilKeys.self)
            try k.encode(hiddenSize, forKey: .dim)
            try k.encode(numHiddenLayers, forKey: .nLayers)
            try k.encode(numAttentionHeads, forKey: .nHeads)
            try k.encode(intermediateSize, forKey: .hiddenDim)
            try k.encode(hiddenAct, forKey: .activation)
            try k.encode(hiddenDropoutProb, forKey: .dropout)
            try k.encode(attentionProbsDropoutProb, forKey: .attentionDropout)
            try k.encode(headDropout, forKey: .seqClassifDropout)
            try k.encode(sinusoidalPosEmbds, forKey: .sinusoidalPosEmbds)
            return
        }
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encode(typeVocabSize, forKey: .typeVocabSize)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        var f = encoder.container(keyedBy: FamilyKeys.self)
        try f.encodeIfPresent(embeddingSize, forKey: .embeddingSize)
        try f.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
    }

    /// Gives the config `n` labels named LABEL_0..., as HuggingFace does by default.
    public mutating func setLabels(_ n: Int) {
        id2label = Dictionary(uniqueKeysWithValues: (0..<n).map { ("\($0)", "LABEL_\($0)") })
        label2id = Dictionary(uniqueKeysWithValues: (0..<n).map { ("LABEL_\($0)", $0) })
    }
}
