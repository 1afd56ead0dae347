import Foundation

/// Fine-pruning (docs/method.md, "Baselines"): run the defender's clean sentences through the victim
/// in evaluation mode, rank each layer's feed-forward intermediate neurons by their mean
/// post-GELU activation over real (unpadded) tokens, and prune the lowest fraction: zero their
/// rows of the intermediate dense weight and bias and their columns of the output dense weight.
/// The returned `PruneMask` makes fine-tuning keep them at zero.
public enum FinePruning {
    public struct Result: Sendable {
        /// Mean activation [layer][neuron] on the clean set.
        public var meanActivation: [[Double]]
        public var mask: PruneMask
        public var ratio: Double
        /// Neurons pruned per layer: round(ratio × intermediate size).
        public var perLayer: Int { mask.neurons.values.first?.count ?? 0 }
    }

    /// Mean post-GELU activation of every feed-forward neuron, per layer, over all real tokens of
    /// `examples`. Training-mode activations keep each layer's pre-activation (bias included),
    /// so one evaluation-mode forward per batch gives every layer.
    public static func meanActivations(model: BertModel, tokenizer: Tokenizer, examples: [Example],
                                       maxLength: Int, batch: Int = 16) throws -> [[Double]] {
        guard !examples.isEmpty else { throw FinemixError("fine-pruning: the clean set is empty") }
        let c = model.config, L = c.numHiddenLayers, I = c.intermediateSize
        let maxSeq = min(maxLength, c.maxSequenceLength)
        let enc = EncodedExamples(examples, tokenizer: tokenizer, maxLength: maxSeq)
        let acts = try Activations(config: c, maxBatch: batch, maxSeq: maxSeq, training: true, lastLayer: .all)  // every token
        var sums = [[Double]](repeating: [Double](repeating: 0, count: I), count: L)
        var tokens = 0
        let pad = Int32(c.padTokenId)
        var start = 0
        while start < enc.count {
            let b = enc.batch(Array(start..<min(enc.count, start + batch))[...], padId: pad, withLabels: false)
            try model.forward(b, acts, dropoutSeed: nil)
            for l in 0..<L {
                let pre = acts.layer(l).pre
                sums[l].withUnsafeMutableBufferPointer { s in
                    for (row, len) in b.lengths.enumerated() {
                        for t in 0..<len {
                            let x = pre + (row * b.seq + t) * I
                            for j in 0..<I {
                                let v = Double(x[j])
                                s[j] += 0.5 * v * (1 + erf(v * 0.70710678118654752))
                            }
                        }
                    }
                }
            }
            tokens += b.lengths.reduce(0, +)
            start += batch
        }
        let n = Double(max(tokens, 1))
        return sums.map { $0.map { $0 / n } }
    }

    /// The lowest `ratio` of neurons of each layer by mean activation (ties: lower index first).
    public static func mask(meanActivation: [[Double]], ratio: Double) throws -> PruneMask {
        guard ratio.isFinite, ratio >= 0, ratio < 1 else {
            throw FinemixError("fine-pruning ratio must be in [0, 1), found \(ratio)")
        }
        var neurons: [Int: [Int]] = [:]
        for (l, means) in meanActivation.enumerated() {
            let k = Int((ratio * Double(means.count)).rounded())
            let order = means.indices.sorted { (means[$0], $0) < (means[$1], $1) }
            neurons[l] = Array(order.prefix(k)).sorted()
        }
        return PruneMask(neurons: neurons)
    }

    /// Measures, ranks and prunes `model` in place.
    public static func prune(model: BertModel, tokenizer: Tokenizer, clean: [Example], ratio: Double = 0.3,
                             maxLength: Int = 64) throws -> Result {
        guard ratio.isFinite, ratio >= 0, ratio < 1 else {
            throw FinemixError("fine-pruning ratio must be in [0, 1), found \(ratio)")
        }
        let means = try meanActivations(model: model, tokenizer: tokenizer, examples: clean, maxLength: maxLength)
        let m = try mask(meanActivation: means, ratio: ratio)
        try m.validate(model.config)
        m.apply(model.params)
        return Result(meanActivation: means, mask: m, ratio: ratio)
    }
}
