import Foundation

/// A BERT-family `config.json`. Field names and defaults are HuggingFace's `BertConfig`, so a
/// folder finemix saves loads with `BertForSequenceClassification.from_pretrained` unchanged.
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

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let d = BertConfig()
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
        modelType = try get(.modelType, d.modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        label2id = try c.decodeIfPresent([String: Int].self, forKey: .label2id)
    }

    /// Gives the config `n` labels named LABEL_0..., as HuggingFace does by default.
    public mutating func setLabels(_ n: Int) {
        id2label = Dictionary(uniqueKeysWithValues: (0..<n).map { ("\($0)", "LABEL_\($0)") })
        label2id = Dictionary(uniqueKeysWithValues: (0..<n).map { ("LABEL_\($0)", $0) })
    }
}
