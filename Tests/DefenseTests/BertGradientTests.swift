import Foundation
import Testing
@testable import Defense

/// A tiny BERT (2 layers, hidden 8, 2 heads, vocab 50, 3 labels, dropout off) against PyTorch:
/// logits, loss and every parameter's gradient on one padded batch (lengths 7, 5, 3).
/// Fixture: scripts/gen_engine_fixtures.py (PyTorch in float64; the engine runs in Float).
@Suite struct BertGradientTests {
    struct Tiny {
        let fixture: [String: Any]
        let model: BertModel
        let batch: Batch
    }

    static func tiny() throws -> Tiny {
        let f = try EngineTest.json("tiny_gradients.json")
        let cfgData = try JSONSerialization.data(withJSONObject: f["config"]!)
        let config = try JSONDecoder().decode(BertConfig.self, from: cfgData)
        let shapes = f["shapes"] as! [String: Any], weights = f["weights"] as! [String: Any]
        let source = TensorDictionary(weights.keys.map { name in
            NamedTensor(name: name, shape: EngineTest.ints(shapes[name]), values: EngineTest.floats(weights[name]))
        })
        let model = BertModel(config: config)
        let loaded = try model.params.load(from: source)
        #expect(loaded.loadedClassifier && loaded.loadedPooler)
        let B = f["batch"] as! Int, S = f["seq"] as! Int
        let batch = Batch(batch: B, seq: S, ids: EngineTest.ints(f["ids"]).map(Int32.init),
                          typeIds: EngineTest.ints(f["type_ids"]).map(Int32.init), lengths: EngineTest.ints(f["lengths"]),
                          labels: EngineTest.ints(f["labels"]).map(Int32.init))
        return Tiny(fixture: f, model: model, batch: batch)
    }

    @Test func logitsLossAndEveryGradientMatchPyTorch() throws {
        let t = try Self.tiny()
        let acts = try Activations(config: t.model.config, maxBatch: 4, maxSeq: 8, training: true)
        let logits = try t.model.forward(t.batch, acts)
        let expected = EngineTest.floats(t.fixture["logits"])
        let got = Array(UnsafeBufferPointer(start: logits, count: expected.count))
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "logits \(got) vs \(expected)")
        let loss = try t.model.loss(t.batch, acts, gradient: true)
        #expect(abs(loss - (t.fixture["loss"] as! NSNumber).floatValue) < 1e-5)
        t.model.ensureGradients().zero()
        try t.model.backward(t.batch, acts)
        let grads = t.fixture["grads"] as! [String: Any]
        let g = t.model.grads!
        #expect(grads.count == t.model.layout.tensors.count)
        for info in t.model.layout.tensors {
            let want = EngineTest.floats(grads[info.name])
            let have = Array(UnsafeBufferPointer(start: g[info.offset], count: info.count))
            let scale = want.map(abs).max() ?? 0
            let err = zip(have, want).map { abs($0 - $1) }.max() ?? 0
            #expect(err <= 1e-4 * scale + 1e-7, "\(info.name): max error \(err), largest gradient \(scale)")
        }
    }

    @Test func gradientIsIndependentOfThreadCount() throws {
        let t = try Self.tiny()
        func grads(threads: Int) throws -> [Float] {
            let saved = Parallel.threads
            Parallel.threads = threads
            defer { Parallel.threads = saved }
            let acts = try Activations(config: t.model.config, maxBatch: 4, maxSeq: 8, training: true)
            try t.model.forward(t.batch, acts, dropoutSeed: 3)
            _ = try t.model.loss(t.batch, acts, gradient: true)
            t.model.ensureGradients().zero()
            try t.model.backward(t.batch, acts, dropoutSeed: 3)
            return Array(t.model.grads!.buffer)
        }
        let one = try grads(threads: 1), two = try grads(threads: 2)
        #expect(EngineTest.maxRelative(one, two, floor: 1e-3) < 1e-5)
    }
}
