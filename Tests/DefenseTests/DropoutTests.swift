import Foundation
import Testing
@testable import Defense

/// The dropout masks training draws: the rate is p, masks of different layers, sites, heads,
/// positions and steps are independent, and one seed always gives one mask. Masks are read through
/// the keys the model derives (`DropoutSite.key`, `Counter.stepSeed`), so these are the masks
/// forward and backward use.
@Suite struct DropoutTests {
    static let p: Float = 0.1
    static let n = 1 << 16

    /// 1 where element i of the stream is kept.
    static func kept(_ key: UInt32, count: Int = n) -> [Double] {
        let d = Dropout(p: p, key: key)
        return (0..<count).map { d.factor($0) > 0 ? 1 : 0 }
    }

    static func correlation(_ x: ArraySlice<Double>, _ y: ArraySlice<Double>) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let cov = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +) / n
        let vx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +) / n, vy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +) / n
        return cov / (vx * vy).squareRoot()
    }

    /// Every stream one training run of a 6-layer, 12-head model draws over `steps` steps.
    static func streams(seed: UInt64, steps: Int) -> [(String, UInt32)] {
        var out: [(String, UInt32)] = []
        for step in 0..<steps {
            let s = Counter.stepSeed(seed, step)
            out.append(("step \(step) embeddings", DropoutSite.embeddings.key(s, layer: -1)))
            for l in 0..<6 {
                for site in [DropoutSite.attentionOutput, .ffnOutput] { out.append(("step \(step) layer \(l) \(site)", site.key(s, layer: l))) }
                for item in 0..<12 { out.append(("step \(step) layer \(l) head \(item)", DropoutSite.attentionProbs.key(s, layer: l, item: item))) }
            }
            out.append(("step \(step) classifier", DropoutSite.classifier.key(s, layer: 6)))
        }
        return out
    }

    @Test func dropRateIsPWithinItsBinomialInterval() {
        let all = Self.streams(seed: 42, steps: 3)
        var dropped = 0, total = 0
        for (name, key) in all {
            let k = Self.kept(key, count: 8192).filter { $0 == 0 }.count
            // z = 4.9: a two-sided 1e-6 interval per stream, so 240 streams pass by chance with
            // probability 0.9998 even when the rate is exactly right
            let (lo, hi) = Proportion(k, of: 8192).wilson(z: 4.9)
            #expect(lo <= Double(Self.p) && Double(Self.p) <= hi, "\(name): dropped \(k) of 8192")
            dropped += k; total += 8192
        }
        let (lo, hi) = Proportion(dropped, of: total).wilson(z: 4.9)
        #expect(lo <= Double(Self.p) && Double(Self.p) <= hi, "dropped \(dropped) of \(total)")
        // kept values are scaled so the expectation is unchanged
        let d = Dropout(p: Self.p, key: all[0].1)
        #expect((0..<100).allSatisfy { d.factor($0) == 0 || abs(d.factor($0) - 1 / (1 - Self.p)) < 1e-6 })
    }

    @Test func masksAreIndependentAcrossLayersSitesHeadsAndSteps() {
        let s0 = Counter.stepSeed(42, 0), s1 = Counter.stepSeed(42, 1)
        let pairs: [(String, UInt32, UInt32)] = [
            ("layers 0 and 1", DropoutSite.ffnOutput.key(s0, layer: 0), DropoutSite.ffnOutput.key(s0, layer: 1)),
            ("attention output and feed-forward", DropoutSite.attentionOutput.key(s0, layer: 2), DropoutSite.ffnOutput.key(s0, layer: 2)),
            ("heads 0 and 1", DropoutSite.attentionProbs.key(s0, layer: 0, item: 0), DropoutSite.attentionProbs.key(s0, layer: 0, item: 1)),
            ("sequence 0 and 1, head 0", DropoutSite.attentionProbs.key(s0, layer: 3, item: 0), DropoutSite.attentionProbs.key(s0, layer: 3, item: 12)),
            ("steps 0 and 1", DropoutSite.ffnOutput.key(s0, layer: 0), DropoutSite.ffnOutput.key(s1, layer: 0)),
            ("embeddings and layer 0", DropoutSite.embeddings.key(s0, layer: -1), DropoutSite.attentionOutput.key(s0, layer: 0)),
            ("seeds 1 and 2", DropoutSite.ffnOutput.key(Counter.stepSeed(1, 0), layer: 0), DropoutSite.ffnOutput.key(Counter.stepSeed(2, 0), layer: 0)),
        ]
        // |r| of two independent 0/1 sequences of n is ~N(0, 1/n): 4.5/√n is a 1e-5 bound
        let bound = 4.5 / Double(Self.n).squareRoot()
        for (name, a, b) in pairs {
            #expect(a != b, "\(name): the same stream")
            let x = Self.kept(a), y = Self.kept(b)
            #expect(zip(x, y).filter { $0 != $1 }.count > Self.n / 10, "\(name): masks hardly differ")
            let r = Self.correlation(x[...], y[...])
            #expect(abs(r) < bound, "\(name): correlation \(r)")
        }
        // positions within one stream: the next element, the next row of a 64-wide hidden state,
        // the next query row of a 64×64 attention matrix
        let x = Self.kept(DropoutSite.ffnOutput.key(s0, layer: 0))
        for lag in [1, 64, 4096] {
            let r = Self.correlation(x.dropLast(lag), x.dropFirst(lag))
            #expect(abs(r) < bound, "positions \(lag) apart: correlation \(r)")
        }
    }

    @Test func oneSeedGivesOneMask() throws {
        #expect(Self.kept(DropoutSite.ffnOutput.key(Counter.stepSeed(9, 4), layer: 1))
                == Self.kept(DropoutSite.ffnOutput.key(Counter.stepSeed(9, 4), layer: 1)))
        // through the model: the tiny fixture BERT with dropout 0.1 on hidden states and attention
        let t = try BertGradientTests.tiny()
        var cfg = t.fixture["config"] as! [String: Any]
        cfg["hidden_dropout_prob"] = 0.1; cfg["attention_probs_dropout_prob"] = 0.1
        let config = try JSONDecoder().decode(BertConfig.self, from: try JSONSerialization.data(withJSONObject: cfg))
        let model = BertModel(config: config)
        _ = try model.params.load(from: TensorDictionary(t.model.layout.tensors.map { info in
            NamedTensor(name: info.name, shape: info.shape,
                        values: Array(UnsafeBufferPointer(start: t.model.params.values[info.offset], count: info.count)))
        }))
        let acts = try Activations(config: config, maxBatch: 4, maxSeq: 8, training: true)
        func logits(_ seed: UInt64?) throws -> [Float] {
            let out = try model.forward(t.batch, acts, dropoutSeed: seed)
            return Array(UnsafeBufferPointer(start: out, count: t.batch.batch * config.numLabels))
        }
        let a = try logits(7), b = try logits(7), c = try logits(8), off = try logits(nil)
        #expect(a == b)
        #expect(a != c)
        #expect(a != off)
    }
}
