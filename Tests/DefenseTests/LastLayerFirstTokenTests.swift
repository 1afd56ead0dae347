import Foundation
import Testing
@testable import Defense

/// The classifier's fast path (`LastLayerTokens.first`: the last encoder layer computes K and V
/// for every token and the rest for first tokens only) against the full computation on the tiny
/// models of every family (FamilyParityTests' fixtures, a padded batch of lengths 7, 5, 3):
/// logits, loss and every parameter's gradient, with dropout off and on (same seed).
@Suite struct LastLayerFirstTokenTests {
    struct Run {
        var logits: [Float]
        var loss: Float = 0
        var grads: [Float] = []
    }

    static func run(_ model: BertModel, _ batch: Batch, _ tokens: LastLayerTokens, training: Bool,
                    dropoutSeed: UInt64? = nil) throws -> Run {
        let acts = try Activations(config: model.config, maxBatch: 4, maxSeq: 8, training: training, lastLayer: tokens)
        let out = try model.forward(batch, acts, dropoutSeed: dropoutSeed)
        var r = Run(logits: Array(UnsafeBufferPointer(start: out, count: batch.batch * model.config.numLabels)))
        guard training else { return r }
        r.loss = try model.loss(batch, acts, gradient: true)
        model.ensureGradients().zero()
        try model.backward(batch, acts, dropoutSeed: dropoutSeed)
        r.grads = Array(model.grads!.buffer)
        return r
    }

    /// The fixture's batch, and the same sequences cut to one token each (seq 1: no rows to skip).
    static func batches(_ t: FamilyParityTests.Case) -> [Batch] {
        let b = t.batch, S = b.seq
        let one = Batch(batch: b.batch, seq: 1, ids: (0..<b.batch).map { b.ids[$0 * S] },
                        typeIds: (0..<b.batch).map { b.typeIds[$0 * S] }, lengths: Array(repeating: 1, count: b.batch),
                        labels: b.labels)
        return [b, one]
    }

    @Test(arguments: FamilyParityTests.families)
    func logitsEqualTheFullComputation(_ name: String) throws {
        let t = try FamilyParityTests.load(name)
        for batch in Self.batches(t) {
            for training in [false, true] {
                let full = try Self.run(t.model, batch, .all, training: training)
                let fast = try Self.run(t.model, batch, .first, training: training)
                let err = EngineTest.maxRelative(fast.logits, full.logits, floor: 1e-3)
                #expect(err < 1e-5, "\(name) seq \(batch.seq) training \(training): \(fast.logits) vs \(full.logits)")
            }
        }
    }

    @Test(arguments: FamilyParityTests.families)
    func gradientsEqualTheFullComputationWithAndWithoutDropout(_ name: String) throws {
        let t = try FamilyParityTests.load(name)
        for batch in Self.batches(t) {
            for seed: UInt64? in [nil, 11] {
                let full = try Self.run(t.model, batch, .all, training: true, dropoutSeed: seed)
                let fast = try Self.run(t.model, batch, .first, training: true, dropoutSeed: seed)
                let what = "\(name) seq \(batch.seq) dropout seed \(seed.map(String.init) ?? "off")"
                #expect(abs(fast.loss - full.loss) <= 1e-5 * abs(full.loss), "\(what): loss \(fast.loss) vs \(full.loss)")
                // the key bias's gradient is 0 but for rounding (softmax ignores a shift of a row's
                // scores): every tensor also gets a floor relative to the largest gradient of all
                let overall = full.grads.map(abs).max() ?? 0
                for info in t.model.layout.tensors {
                    let have = fast.grads[info.offset..<(info.offset + info.count)]
                    let want = full.grads[info.offset..<(info.offset + info.count)]
                    let scale = want.map(abs).max() ?? 0
                    let err = zip(have, want).map { abs($0 - $1) }.max() ?? 0
                    #expect(err <= 1e-5 * scale + 1e-6 * overall, "\(what) \(info.name): max difference \(err), largest gradient \(scale)")
                }
            }
        }
    }

    /// Dropout reaches the first-token rows: with a seed the fast path's logits move, as the full
    /// one's do, and by the same amount (the masks are those of rows b·S).
    @Test func dropoutMasksAreTheFullComputations() throws {
        let t = try FamilyParityTests.load("bert")
        let off = try Self.run(t.model, t.batch, .first, training: true)
        let full = try Self.run(t.model, t.batch, .all, training: true, dropoutSeed: 5)
        let fast = try Self.run(t.model, t.batch, .first, training: true, dropoutSeed: 5)
        #expect(fast.logits != off.logits)
        #expect(EngineTest.maxRelative(fast.logits, full.logits, floor: 1e-3) < 1e-5, "\(fast.logits) vs \(full.logits)")
    }

    /// Fine-pruning averages every real token's feed-forward activation of every layer, the last
    /// included: its means are those of the every-token computation.
    @Test func finePruningMeansCoverEveryTokenOfTheLastLayer() throws {
        let m = TinySentiment.model(), tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(9)
        let means = try FinePruning.meanActivations(model: m, tokenizer: tok, examples: data, maxLength: 16, batch: 4)
        let c = m.config, I = c.intermediateSize, last = c.numHiddenLayers - 1
        let enc = EncodedExamples(data, tokenizer: tok, maxLength: 16)
        let acts = try Activations(config: c, maxBatch: data.count, maxSeq: 16, training: true, lastLayer: .all)
        let b = enc.batch(Array(0..<data.count)[...], padId: Int32(c.padTokenId), withLabels: false)
        try m.forward(b, acts, dropoutSeed: nil)
        var want = [Double](repeating: 0, count: I)
        let pre = acts.layer(last).pre
        for (row, len) in b.lengths.enumerated() {
            for t in 0..<len {
                for j in 0..<I {
                    let v = Double(pre[(row * b.seq + t) * I + j])
                    want[j] += 0.5 * v * (1 + erf(v * 0.70710678118654752))
                }
            }
        }
        let tokens = Double(b.lengths.reduce(0, +))
        for j in 0..<I { #expect(abs(means[last][j] - want[j] / tokens) < 1e-5, "neuron \(j)") }
    }
}

/// The FLOP count behind `finemix bench`'s fraction of sgemm counts only the work the engine does.
@Suite struct EncoderFLOPsTests {
    /// H 8, I 16, two layers: a layer holds 3·64+24 (QKV) + 64+8 (output) + 16 (LayerNorm) +
    /// 128+16 (up) + 128+8 (down) + 16 (LayerNorm) = 600 parameters.
    static let tiny: BertConfig = {
        var c = BertConfig()
        c.hiddenSize = 8; c.intermediateSize = 16; c.numHiddenLayers = 2; c.numAttentionHeads = 2
        c.vocabSize = 50; c.maxPositionEmbeddings = 16
        return c
    }()

    @Test func everyTokenCountsEveryLayerInFull() {
        // 2 × 600 × 2 layers × 8 tokens, plus attention 4 · H 8 · S 4 · 16 query rows.
        #expect(EncoderFLOPs.perStep(Self.tiny, batch: 2, seq: 4, train: false, lastLayer: .all) == 19_200 + 2_048)
        #expect(EncoderFLOPs.perStep(Self.tiny, batch: 2, seq: 4, train: true, lastLayer: .all) == 57_600 + 6_144)
    }

    @Test func theFirstTokenPathCountsKeyAndValueForEveryTokenAndTheRestForOneRowPerSequence() {
        // Layer 0: 600 × 8 tokens; layer 1: K and V (2·64) × 8 tokens + the other 472 × 2 rows.
        let macs = 600.0 * 8 + 128 * 8 + 472 * 2
        let attention = 4.0 * 8 * 4 * (8 + 2)
        #expect(EncoderFLOPs.perStep(Self.tiny, batch: 2, seq: 4, train: false, lastLayer: .first) == 2 * macs + attention)
        #expect(EncoderFLOPs.perStep(Self.tiny, batch: 2, seq: 4, train: true, lastLayer: .first) == 6 * macs + 3 * attention)
        // What the trainer and the predictor run is what the benchmark counts.
        #expect(Trainer.lastLayer == .first && Predictor.lastLayer == .first)
    }
}
