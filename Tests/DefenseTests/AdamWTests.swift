import Foundation
import Testing
@testable import Defense

/// Two clipped AdamW steps against `torch.optim.AdamW` with HuggingFace's no-decay groups
/// (fixture from scripts/gen_engine_fixtures.py), and the schedule against HuggingFace's formula.
@Suite struct AdamWTests {
    @Test func twoStepsMatchPyTorch() throws {
        let t = try BertGradientTests.tiny()
        let hp = t.fixture["adamw"] as! [String: NSNumber]
        let settings = TrainingSettings(
            schedule: .constant(hp["lr"]!.floatValue),
            adamw: AdamWSettings(beta1: hp["beta1"]!.floatValue, beta2: hp["beta2"]!.floatValue,
                                 eps: hp["eps"]!.floatValue, weightDecay: hp["weight_decay"]!.floatValue),
            maxGradNorm: hp["max_grad_norm"]!.floatValue, dropout: false)
        let trainer = try Trainer(model: t.model, settings: settings, maxBatch: 4, maxSeq: 8)
        for (k, expected) in (t.fixture["steps"] as! [[String: Any]]).enumerated() {
            let r = try trainer.step(t.batch)
            #expect(abs(r.loss - (expected["loss"] as! NSNumber).floatValue) < 1e-5, "step \(k) loss")
            let norm = (expected["grad_norm"] as! NSNumber).doubleValue
            #expect(abs(r.gradNorm - norm) < 1e-4 * norm, "step \(k) norm \(r.gradNorm) vs \(norm)")
            let weights = expected["weights"] as! [String: Any]
            // The key bias's true gradient is exactly zero (softmax ignores a per-row constant), so both
            // sides hold rounding noise that Adam's m/√v scales up to ±lr: not comparable.
            for info in t.model.layout.tensors where !info.name.hasSuffix("key.bias") {
                let want = EngineTest.floats(weights[info.name])
                let have = Array(UnsafeBufferPointer(start: t.model.params.values[info.offset], count: info.count))
                let err = zip(have, want).map { abs($0 - $1) }.max() ?? 0
                // lr 0.01: a wrong sign, decay group or bias correction moves weights by ~1e-2
                #expect(err < 2e-5, "step \(k) \(info.name): max error \(err)")
            }
        }
    }

    /// The eight-lane update (dense pass, LazyRows' step and replay) is the one-element update
    /// bit for bit, over whole vectors and the tail, with a gradient and with none.
    @Test func vectorUpdateIsTheElementUpdateBitForBit() {
        let n = 19
        var r = SeededRandom(seed: 7)
        func values(_ scale: Float) -> [Float] { (0..<n).map { _ in r.nextNormal() * scale } }
        let p0 = values(0.05), m0 = values(1e-3), v0 = values(1e-6).map(abs), g = values(1e-2)
        let k = AdamW(count: 1).constants(step: 3, lr: 2e-5)
        for gradient in [true, false] {
            var (p1, m1, v1) = (p0, m0, v0), (p2, m2, v2) = (p0, m0, v0)
            for i in 0..<n {
                AdamW.element(&p1, &m1, &v1, i, g: gradient ? g[i] : 0, b1: 0.9, b2: 0.999, eps: 1e-8, decay: 0.99, k: k)
            }
            g.withUnsafeBufferPointer { gb in
                AdamW.elements(&p2, &m2, &v2, from: 0, count: n, g: gradient ? gb.baseAddress : nil, b1: 0.9, b2: 0.999, eps: 1e-8,
                               decay: 0.99, k: k)
            }
            for (a, b) in [(p1, p2), (m1, m2), (v1, v2)] {
                #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "gradient \(gradient)")
            }
        }
    }

    @Test func biasesAndLayerNormAreNotDecayedUnlessAsked() throws {
        let layout = ParameterLayout(BertConfig.minilm)
        let hf = try Freezing.none.segments(layout, decayBiasAndNorm: false)
        let all = try Freezing.none.segments(layout, decayBiasAndNorm: true)
        #expect(all.count == 1 && all[0].range == 0..<layout.count)
        let bias = layout.info("encoder.layer.3.output.dense.bias")!
        let seg = hf.first { $0.range.contains(bias.offset) }!
        #expect(!seg.decays)
        let weight = layout.info("encoder.layer.3.output.dense.weight")!
        #expect(hf.first { $0.range.contains(weight.offset) }!.decays)
        #expect(hf.map(\.range.count).reduce(0, +) == layout.count)
    }

    @Test func linearScheduleIsHuggingFaces() {
        let s = LinearSchedule(baseRate: 1e-3, warmupSteps: 10, totalSteps: 110)
        #expect(s.rate(atStep: 0) == 0)
        #expect(abs(s.rate(atStep: 5) - 5e-4) < 1e-9)
        #expect(abs(s.rate(atStep: 10) - 1e-3) < 1e-9)
        #expect(abs(s.rate(atStep: 60) - 5e-4) < 1e-9)
        #expect(s.rate(atStep: 110) == 0 && s.rate(atStep: 200) == 0)
        #expect(LinearSchedule(baseRate: 2, totalSteps: 4).rate(atStep: 0) == 2)
    }
}
