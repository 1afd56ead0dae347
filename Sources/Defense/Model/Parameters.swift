import Foundation

/// One named tensor inside the flat parameter buffer.
public struct ParameterInfo: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    /// HuggingFace's Trainer applies weight decay to everything except biases and LayerNorm weights.
    public var decays: Bool { !(name.hasSuffix(".bias") || name.contains("LayerNorm")) }
}

/// Offsets of one encoder layer's tensors. Query, key and value weights sit next to each other so
/// that together they form one [3H, H] matrix (and their biases one [3H] vector): one big multiply.
public struct LayerOffsets: Sendable {
    public var qkvW = 0, qkvB = 0, attnOutW = 0, attnOutB = 0, ln1G = 0, ln1B = 0
    public var interW = 0, interB = 0, outW = 0, outB = 0, ln2G = 0, ln2B = 0
}

/// Where every tensor of a BERT classifier lives in the flat buffer. Gradients and AdamW moments
/// use the same layout, so one offset names the same tensor in all of them.
public struct ParameterLayout: Sendable {
    public let config: BertConfig
    public private(set) var tensors: [ParameterInfo] = []
    public private(set) var layers: [LayerOffsets] = []
    public private(set) var wordEmb = 0, posEmb = 0, typeEmb = 0, embLNG = 0, embLNB = 0
    /// ELECTRA's `embeddings_project` [H, E] and [H]; only when embedding_size ≠ hidden_size.
    public private(set) var projW = 0, projB = 0
    public let family: ModelFamily
    public var hasProjection: Bool { config.embeddingWidth != config.hiddenSize }
    public private(set) var poolerW = 0, poolerB = 0, classifierW = 0, classifierB = 0
    public private(set) var count = 0
    private var index: [String: Int] = [:]

    public init(_ c: BertConfig) {
        config = c
        family = c.family ?? .bert
        let H = c.hiddenSize, I = c.intermediateSize, E = c.embeddingWidth
        wordEmb = add("embeddings.word_embeddings.weight", [c.vocabSize, E])
        posEmb = add("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, E])
        if family.hasTokenTypes { typeEmb = add("embeddings.token_type_embeddings.weight", [c.typeVocabSize, E]) }
        embLNG = add("embeddings.LayerNorm.weight", [E])
        embLNB = add("embeddings.LayerNorm.bias", [E])
        if E != H {
            projW = add("embeddings_project.weight", [H, E])
            projB = add("embeddings_project.bias", [H])
        }
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            var o = LayerOffsets()
            o.qkvW = add(p + "attention.self.query.weight", [H, H])
            _ = add(p + "attention.self.key.weight", [H, H])
            _ = add(p + "attention.self.value.weight", [H, H])
            o.qkvB = add(p + "attention.self.query.bias", [H])
            _ = add(p + "attention.self.key.bias", [H])
            _ = add(p + "attention.self.value.bias", [H])
            o.attnOutW = add(p + "attention.output.dense.weight", [H, H])
            o.attnOutB = add(p + "attention.output.dense.bias", [H])
            o.ln1G = add(p + "attention.output.LayerNorm.weight", [H])
            o.ln1B = add(p + "attention.output.LayerNorm.bias", [H])
            o.interW = add(p + "intermediate.dense.weight", [I, H])
            o.interB = add(p + "intermediate.dense.bias", [I])
            o.outW = add(p + "output.dense.weight", [H, I])
            o.outB = add(p + "output.dense.bias", [H])
            o.ln2G = add(p + "output.LayerNorm.weight", [H])
            o.ln2B = add(p + "output.LayerNorm.bias", [H])
            layers.append(o)
        }
        poolerW = add("pooler.dense.weight", [H, H])
        poolerB = add("pooler.dense.bias", [H])
        classifierW = add("classifier.weight", [c.numLabels, H])
        classifierB = add("classifier.bias", [c.numLabels])
    }

    private mutating func add(_ name: String, _ shape: [Int]) -> Int {
        let off = count
        index[name] = tensors.count
        tensors.append(ParameterInfo(name: name, shape: shape, offset: off))
        count += shape.reduce(1, *)
        return off
    }

    public func info(_ name: String) -> ParameterInfo? { index[name].map { tensors[$0] } }

    /// Parameters outside the embedding tables: what FLOP counts use.
    public var nonEmbeddingCount: Int { count - embLNG }
}

/// A flat Float buffer the size of a layout, zeroed, 64-byte aligned, freed with its owner.
public final class FlatBuffer: @unchecked Sendable {
    public let count: Int
    public let base: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { base.deallocate() }

    @inline(__always) public subscript(_ offset: Int) -> UnsafeMutablePointer<Float> { base + offset }
    public func zero() { base.update(repeating: 0, count: count) }
    public func copy(from other: FlatBuffer) { base.update(from: other.base, count: count) }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
}

/// All parameters of a BERT classifier as named views into one flat buffer.
public final class BertParameters: @unchecked Sendable {
    public let layout: ParameterLayout
    public let values: FlatBuffer
    public var config: BertConfig { layout.config }

    public init(config: BertConfig) {
        layout = ParameterLayout(config)
        values = FlatBuffer(count: layout.count)
        // LayerNorm starts as the identity, as in PyTorch.
        for t in layout.tensors where t.name.hasSuffix("LayerNorm.weight") {
            values[t.offset].update(repeating: 1, count: t.count)
        }
    }

    public func view(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        layout.info(name).map { UnsafeMutableBufferPointer(start: values[$0.offset], count: $0.count) }
    }

    /// Every tensor drawn from N(0, initializerRange) (biases zero, LayerNorm identity), as
    /// HuggingFace initialises a fresh model; for benchmarks and tests.
    public func initialiseRandomly(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let std = Float(config.initializerRange)
        for t in layout.tensors {
            let p = values[t.offset]
            if t.name.hasSuffix("LayerNorm.weight") { p.update(repeating: 1, count: t.count) }
            else if t.name.hasSuffix(".bias") { p.update(repeating: 0, count: t.count) }
            else { for i in 0..<t.count { p[i] = rng.nextNormal() * std } }
        }
    }

    /// One tensor drawn from N(0, initializerRange).
    public func initialiseNormal(_ name: String, seed: UInt64) {
        guard let t = layout.info(name) else { return }
        var rng = SeededRandom(seed: seed)
        let std = Float(config.initializerRange), p = values[t.offset]
        for i in 0..<t.count { p[i] = rng.nextNormal() * std }
    }

    /// A fresh classifier head: weight N(0, initializerRange), bias 0, as HuggingFace's `_init_weights`.
    public func initialiseClassifier(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let std = Float(config.initializerRange)
        let w = values[layout.classifierW]
        for i in 0..<(config.numLabels * config.hiddenSize) { w[i] = rng.nextNormal() * std }
        values[layout.classifierB].update(repeating: 0, count: config.numLabels)
    }

    /// Loads every tensor from `source`. The classifier head may be missing (a bare encoder such
    /// as the real MiniLM); then `loadedClassifier` is false and the head keeps its values.
    /// Any other missing or misshapen tensor throws, naming it.
    @discardableResult
    public func load(from source: TensorSource) throws -> (loadedClassifier: Bool, loadedPooler: Bool) {
        let names = Set(source.tensorNames)
        var loadedClassifier = true, loadedPooler = true
        var nonFinite: [(name: String, count: Int, of: Int)] = []
        for t in layout.tensors {
            let isHead = t.name.hasPrefix("classifier.")
            let isPooler = t.name.hasPrefix("pooler.")
            if !names.contains(t.name) {
                if isHead { loadedClassifier = false; continue }
                if isPooler { loadedPooler = false; continue }
                throw FinemixError("checkpoint has no tensor \(layout.family.displayName(t.name)) (expected shape \(t.shape))")
            }
            if let s = source.shape(of: t.name), s != t.shape {
                throw FinemixError("tensor \(layout.family.displayName(t.name)): expected shape \(t.shape), found \(s)")
            }
            try source.readFloats(t.name, into: UnsafeMutableBufferPointer(start: values[t.offset], count: t.count))
            let bad = NonFiniteWeights.count(UnsafeBufferPointer(start: values[t.offset], count: t.count))
            if bad > 0 { nonFinite.append((t.name, bad, t.count)) }
        }
        if !nonFinite.isEmpty {
            throw NonFiniteWeights.error(nonFinite, in: (source as? SafetensorsFile)?.url.path ?? "the weights")
        }
        return (loadedClassifier, loadedPooler)
    }

    /// Every tensor by value, in HuggingFace order, for the checkpoint writer.
    public func export() -> [NamedTensor] {
        layout.tensors.map { t in
            NamedTensor(name: t.name, shape: t.shape,
                        values: Array(UnsafeBufferPointer(start: values[t.offset], count: t.count)))
        }
    }

    public func copy(from other: BertParameters) { values.copy(from: other.values) }
}
