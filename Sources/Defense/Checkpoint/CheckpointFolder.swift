import Foundation

/// A model folder as HuggingFace lays it out: `config.json`, a tokenizer (`tokenizer.json`,
/// `vocab.txt`, or `vocab.json` + `merges.txt`), `model.safetensors`.
///
///     let ck = try CheckpointFolder(url)
///     ck.config            // BertConfig
///     ck.vocabURL          // the tokenizer file (all tokenizer files checked unchanged)
///     ck.weights           // SafetensorsFile: a TensorSource with canonical names, from any
///                          // weight file WeightFileChoice finds, or merged from a LoRA adapter
///
/// Loading checks the shapes of every known BERT tensor that is present against the config, so a
/// mismatched folder fails here with the tensor's name rather than deep inside the model.
public struct CheckpointFolder: Sendable {
    public static let configName = "config.json"
    public static let vocabName = "vocab.txt"
    public static let weightsName = "model.safetensors"

    public let url: URL
    public let config: BertConfig
    /// The weights, from whichever file WeightFileChoice found (or merged from a LoRA adapter).
    public let weights: SafetensorsFile
    /// The tokenizer files (tokenizer.json, vocab.txt, or vocab.json + merges.txt, and their
    /// configs), stamped at load.
    public let tokenizerFiles: TokenizerFiles
    /// The file the tokenizer is read from. Reading it through `vocabURL` checks that every
    /// tokenizer file is still the one that was loaded.
    public var vocabPath: URL { tokenizerFiles.primary }
    /// What the weights were read from: "model.safetensors", "pytorch_model.bin",
    /// "model.safetensors.index.json (3 shards)", "LoRA r=8, alpha 16 over bert-base-uncased".
    public let origin: String
    /// Set when the folder is a LoRA adapter, merged over its base on load.
    public let adapter: LoraAdapter?
    /// What kind of weight file `origin` names, for machine-read output (inspect --json):
    /// safetensors, sharded-safetensors, pytorch-bin, sharded-pytorch-bin or lora-adapter.
    public var weightFormat: String {
        if adapter != nil { return "lora-adapter" }
        switch WeightFileChoice(rawValue: weightsURL.lastPathComponent) {
        case .safetensors?, nil: return "safetensors"
        case .shardedSafetensors?: return "sharded-safetensors"
        case .torch?: return "pytorch-bin"
        case .shardedTorch?: return "sharded-pytorch-bin"
        }
    }
    public var vocabURL: URL {
        get throws { try tokenizerFiles.requireUnchanged(); return vocabPath }
    }

    /// config.json (the base model's, for an adapter).
    public let configURL: URL
    /// The weight file named by `origin` (an index for shards, the adapter's for an adapter);
    /// `weights.files` lists every file read.
    public var weightsURL: URL { weights.url }
    /// Whether the checkpoint carries a classification head (`classifier.weight`).
    public var hasHead: Bool { weights.shape(of: "classifier.weight") != nil }

    /// `adapterBase` is the base model to merge a LoRA adapter over when its
    /// `base_model_name_or_path` is not a local folder (the commands pass `--pre`).
    public init(_ url: URL, adapterBase: URL? = nil) throws {
        self.url = url
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw FinemixError("\(url.path): no such model folder")
        }
        if LoraAdapter.isAdapter(url) {
            let lora = try LoraAdapter(folder: url)
            let baseURL = try lora.baseFolder(pre: adapterBase)
            guard !LoraAdapter.isAdapter(baseURL) else {
                throw FinemixError("\(lora.configURL.path): the base model \(baseURL.path) is itself an adapter; give a full model as the base")
            }
            let base = try CheckpointFolder(baseURL)
            adapter = lora
            configURL = base.configURL
            tokenizerFiles = base.tokenizerFiles
            weights = try lora.merge(over: base.weights, family: base.config.family ?? .bert)
            origin = lora.summary(base: baseURL)
            var c = base.config
            // The adapter's own head (modules_to_save) may have another label count than the base's config.
            if let head = weights.shape(of: "classifier.weight"), head.count == 2, head[0] != c.numLabels || c.id2label == nil {
                c.setLabels(head[0])
            }
            config = c
        } else {
            adapter = nil
            configURL = url.appendingPathComponent(Self.configName)
            config = try Self.loadConfig(configURL)
            tokenizerFiles = try TokenizerFiles(folder: url)
            (weights, origin) = try WeightFileChoice.load(from: url, family: config.family ?? .bert)
        }
        try Self.checkShapes(weights, against: config, file: weightsURL.path)
        try Self.checkComplete(weights, against: config, file: weightsURL.path)
    }

    // MARK: config.json

    public static func loadConfig(_ url: URL) throws -> BertConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("\(url.path): missing or unreadable; a model folder needs config.json")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw FinemixError("\(url.path): not a JSON object (malformed JSON)")
        }
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw FinemixError("\(url.path): field '\(keyPath(context))' should be \(type), found something else")
        } catch let DecodingError.dataCorrupted(context) {
            throw FinemixError("\(url.path): field '\(keyPath(context))' is malformed: \(context.debugDescription)")
        } catch {
            throw FinemixError("\(url.path): cannot read the config: \(error)")
        }
        try validate(config, file: url.path)
        return config
    }

    private static func keyPath(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    /// Sizes the engine allocates from: positive and not absurd.
    static func validate(_ c: BertConfig, file: String) throws {
        guard let family = c.family else {
            let found = c.modelType.isEmpty ? "no model_type (and architectures \(c.architectures ?? []))" : "model_type '\(c.modelType)'"
            throw FinemixError("\(file): \(found) is not a model family finemix runs; it runs \(ModelFamily.supportedList)")
        }
        var limits: [(String, Int, Int)] = [
            ("vocab_size", c.vocabSize, 10_000_000), ("hidden_size", c.hiddenSize, 65_536),
            ("num_hidden_layers", c.numHiddenLayers, 1_000), ("num_attention_heads", c.numAttentionHeads, 1_024),
            ("intermediate_size", c.intermediateSize, 1_000_000),
            ("max_position_embeddings", c.maxPositionEmbeddings, 1_000_000),
        ]
        if family.hasTokenTypes { limits.append(("type_vocab_size", c.typeVocabSize, 1_000)) }
        if let e = c.embeddingSize { limits.append(("embedding_size", e, 65_536)) }
        if family.positionsPastPadding { limits.append(("max_position_embeddings - pad_token_id - 1 (positions left past the padding index)", c.maxSequenceLength, 1_000_000)) }
        for (key, value, limit) in limits where value < 1 || value > limit {
            throw FinemixError("\(file): \(key) must be between 1 and \(limit), found \(value)")
        }
        guard c.hiddenSize % c.numAttentionHeads == 0 else {
            throw FinemixError("\(file): hidden_size \(c.hiddenSize) is not a multiple of num_attention_heads \(c.numAttentionHeads)")
        }
        try validateConstants(c, file: file)
        if let labels = c.id2label {
            guard !labels.isEmpty, labels.count <= 100_000 else {
                throw FinemixError("\(file): id2label must hold between 1 and 100000 labels, found \(labels.count)")
            }
            for i in 0..<labels.count where labels[String(i)] == nil {
                throw FinemixError("\(file): id2label must have keys \"0\"...\"\(labels.count - 1)\"; \"\(i)\" is missing")
            }
        }
    }

    /// The constants the forward pass computes with. Each of these passed before and made every
    /// output NaN or silently meaningless (a negative layer_norm_eps takes the square root of a
    /// negative number; 0 divides a constant row by zero), so they are refused at load, by name.
    static func validateConstants(_ c: BertConfig, file: String) throws {
        guard c.layerNormEps.isFinite, c.layerNormEps > 0, c.layerNormEps < 1 else {
            throw FinemixError("\(file): layer_norm_eps must be a small positive number below 1 (BERT uses 1e-12), found \(c.layerNormEps)")
        }
        // Float is what the engine computes in: an epsilon that rounds to 0 there is 0.
        guard Float(c.layerNormEps) > 0 else {
            throw FinemixError("\(file): layer_norm_eps \(c.layerNormEps) is 0 in 32-bit floating point; use at least 1e-38")
        }
        for (key, p) in [("hidden_dropout_prob", c.hiddenDropoutProb), ("attention_probs_dropout_prob", c.attentionProbsDropoutProb),
                         ("classifier_dropout", c.headDropout)] {
            guard p.isFinite, p >= 0, p < 1 else {
                throw FinemixError("\(file): \(key) must be in [0, 1), found \(p)")
            }
        }
        guard c.initializerRange.isFinite, c.initializerRange >= 0 else {
            throw FinemixError("\(file): initializer_range must be a number of 0 or more, found \(c.initializerRange)")
        }
        guard (0..<c.vocabSize).contains(c.padTokenId) else {
            throw FinemixError("\(file): pad_token_id must be a token id in 0..<\(c.vocabSize) (vocab_size), found \(c.padTokenId)")
        }
        // Another activation run as one of these would give other numbers than the model was trained with.
        let actKey = c.family == .distilbert ? "activation" : "hidden_act"
        guard let act = Activation(rawValue: c.hiddenAct), Activation.hiddenActs.contains(act) else {
            throw FinemixError("\(file): \(actKey) '\(c.hiddenAct)' is not supported; finemix computes \(Activation.hiddenActs.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        // A fixed sinusoidal table is not what the stored position_embeddings hold after training.
        guard !c.sinusoidalPosEmbds else {
            throw FinemixError("\(file): sinusoidal_pos_embds true is not supported; finemix runs DistilBERT with learned position embeddings only")
        }
    }

    // MARK: shapes

    /// The shape each tensor of the config's family must have (canonical names): the engine's layout.
    public static func expectedShapes(_ c: BertConfig, withHead: Bool) -> [String: [Int]] {
        var s: [String: [Int]] = [:]
        for t in ParameterLayout(c).tensors where withHead || !CheckpointNames.isHead(t.name) { s[t.name] = t.shape }
        return s
    }

    static func checkShapes(_ weights: SafetensorsFile, against c: BertConfig, file: String) throws {
        // Without id2label the head's label count is whatever the file holds; check only its width.
        let expected = expectedShapes(c, withHead: c.id2label != nil)
        for name in weights.tensorNames {
            guard let found = weights.shape(of: name) else { continue }
            let stored = weights.entries[name]?.storedName ?? name
            if let want = expected[name], want != found {
                throw FinemixError("\(file): tensor \(stored) has shape \(found), but config.json implies \(want)")
            }
            if c.id2label == nil, name == "classifier.weight", found.count != 2 || found[1] != c.hiddenSize {
                throw FinemixError("\(file): tensor \(stored) has shape \(found), expected [labels, \(c.hiddenSize)]")
            }
        }
    }

    /// Every embedding and encoder tensor the config implies must be in the file (only the pooler
    /// and the head may be missing). The engine allocates the model from config.json, so this
    /// keeps a hostile config (vocab_size 10,000,000 × hidden_size 65,536) beside a tiny file from
    /// making it allocate terabytes: what it allocates, the file has (at ≥ 2 bytes a value).
    static func checkComplete(_ weights: SafetensorsFile, against c: BertConfig, file: String) throws {
        let present = Set(weights.tensorNames)
        let expected = expectedShapes(c, withHead: false)
        for name in expected.keys.sorted() where !name.hasPrefix("pooler.") && !present.contains(name) {
            let family = c.family ?? .bert
            throw FinemixError("\(file): tensor \(family == .bert ? name : family.stored(name, withHead: true)) is missing (config.json implies shape \(expected[name]!) with \(c.numHiddenLayers) layers of width \(c.hiddenSize)); a model folder needs every embedding and encoder tensor")
        }
    }

    // MARK: save

    /// Writes `config.json`, the tokenizer files beside `vocab` and `model.safetensors` into `dir`, each atomically, so
    /// that `BertForSequenceClassification.from_pretrained(dir)` loads it unchanged. `tensors` use
    /// canonical names; with a `classifier.*` head they are stored with HuggingFace's `bert.` prefix.
    /// The config gets `model_type`, `architectures` and, with a head, id2label/label2id sized to it.
    public static func save(config: BertConfig, vocab: URL, tensors: [NamedTensor], to dir: URL,
                            metadata: [String: String] = [:]) throws {
        try save(config: config, vocab: vocab, source: TensorDictionary(tensors), names: tensors.map(\.name),
                 to: dir, metadata: metadata)
    }

    /// The streaming form: tensors come from any source (a loaded checkpoint, a model's parameters).
    public static func save(config: BertConfig, vocab: URL, source: any TensorSource, names: [String],
                            to dir: URL, metadata: [String: String] = [:]) throws {
        let tokenizerData = try TokenizerFiles.read(from: vocab)
        let canonical = names.map(CheckpointNames.canonical)
        guard Set(canonical).count == canonical.count else {
            throw FinemixError("\(dir.path): a tensor is given twice (with and without the bert. prefix)")
        }
        let withHead = canonical.contains("classifier.weight")
        var c = config
        let family = c.family ?? .bert
        c.modelType = family.rawValue
        if withHead {
            guard let shape = source.shape(of: names[canonical.firstIndex(of: "classifier.weight")!]), shape.count == 2 else {
                throw FinemixError("\(dir.path): classifier.weight must be a matrix [labels, hidden]")
            }
            if c.numLabels != shape[0] || c.id2label == nil { c.setLabels(shape[0]) }
        }
        c.architectures = [family.architecture(withHead: withHead)]
        try validate(c, file: dir.appendingPathComponent(configName).path)
        // Check before writing anything, so a bad save leaves the folder as it was.
        let expected = expectedShapes(c, withHead: withHead)
        for (name, canon) in zip(names, canonical) {
            if let want = expected[canon], let found = source.shape(of: name), want != found {
                throw FinemixError("\(dir.path): tensor \(canon) has shape \(found), but the config implies \(want)")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let configData = try encoder.encode(c)

        try AtomicFile.createFolder(dir)
        try SafetensorsWriter.write(source, names: names,
                                    storedName: { CheckpointNames.stored(CheckpointNames.canonical($0), withHead: withHead, family: family) },
                                    metadata: metadata, to: dir.appendingPathComponent(weightsName))
        try TokenizerFiles.write(tokenizerData, to: dir)
        try AtomicFile.write(configData, to: dir.appendingPathComponent(configName))
    }
}
