/// Which parameters training may change. Frozen values are never touched: no gradient step, no
/// weight decay (decay alone would move them).
public struct Freezing: Sendable, Equatable {
    /// Names of trainable tensors; nil means every tensor.
    public var trainable: Set<String>?
    /// If set, only these rows of `embeddings.word_embeddings.weight` train (embedding poisoning
    /// changes one row); the tensor must also be trainable.
    public var wordEmbeddingRows: [Int]?

    public init(trainable: Set<String>? = nil, wordEmbeddingRows: [Int]? = nil) {
        self.trainable = trainable; self.wordEmbeddingRows = wordEmbeddingRows
    }

    public static let none = Freezing()
    public static func only(_ names: Set<String>) -> Freezing { Freezing(trainable: names) }
    public static func wordEmbeddingRows(_ rows: [Int]) -> Freezing {
        Freezing(trainable: ["embeddings.word_embeddings.weight"], wordEmbeddingRows: rows)
    }

    /// One contiguous trainable range of the flat buffer.
    public struct Segment: Sendable, Equatable {
        public var range: Range<Int>
        public var decays: Bool
    }

    /// The trainable ranges, in buffer order. Throws on unknown names or rows out of range.
    public func segments(_ layout: ParameterLayout, decayBiasAndNorm: Bool) throws -> [Segment] {
        if let t = trainable {
            for name in t where layout.info(name) == nil {
                throw FinemixError("cannot train unknown tensor \(name)")
            }
        }
        let wordName = "embeddings.word_embeddings.weight"
        if let rows = wordEmbeddingRows {
            guard trainable?.contains(wordName) ?? true else {
                throw FinemixError("trainable word-embedding rows given but \(wordName) is frozen")
            }
            let vocab = layout.config.vocabSize
            for r in rows where r < 0 || r >= vocab {
                throw FinemixError("word-embedding row \(r) is outside 0..<\(vocab)")
            }
        }
        var out: [Segment] = []
        for t in layout.tensors where trainable?.contains(t.name) ?? true {
            let decays = decayBiasAndNorm || t.decays
            if t.name == wordName, let rows = wordEmbeddingRows {
                let H = layout.config.embeddingWidth
                for r in Set(rows).sorted() {
                    out.append(Segment(range: (t.offset + r * H)..<(t.offset + (r + 1) * H), decays: decays))
                }
            } else {
                out.append(Segment(range: t.offset..<(t.offset + t.count), decays: decays))
            }
        }
        // merge neighbours with the same decay flag: fewer, longer passes
        var merged: [Segment] = []
        for s in out {
            if let last = merged.last, last.range.upperBound == s.range.lowerBound, last.decays == s.decays {
                merged[merged.count - 1].range = last.range.lowerBound..<s.range.upperBound
            } else { merged.append(s) }
        }
        return merged
    }
}

/// Pruned feed-forward neurons (Fine-pruning): neuron j of layer l is row j of the intermediate
/// weight and bias and column j of the output weight. `apply` zeroes them; the trainer calls it
/// after every step so they stay pruned.
public struct PruneMask: Sendable, Equatable {
    /// Pruned neuron indices per layer.
    public var neurons: [Int: [Int]]
    public init(neurons: [Int: [Int]] = [:]) { self.neurons = neurons }

    public func validate(_ c: BertConfig) throws {
        for (l, js) in neurons {
            guard l >= 0, l < c.numHiddenLayers else { throw FinemixError("prune mask names layer \(l); the model has \(c.numHiddenLayers)") }
            for j in js where j < 0 || j >= c.intermediateSize {
                throw FinemixError("prune mask names neuron \(j) of layer \(l); the layer has \(c.intermediateSize)")
            }
        }
    }

    public func apply(_ p: BertParameters) {
        let c = p.config, H = c.hiddenSize, I = c.intermediateSize
        for (l, js) in neurons {
            let o = p.layout.layers[l]
            let w1 = p.values[o.interW], b1 = p.values[o.interB], w2 = p.values[o.outW]
            for j in js {
                (w1 + j * H).update(repeating: 0, count: H)
                b1[j] = 0
                for i in 0..<H { w2[i * I + j] = 0 }
            }
        }
    }
}
