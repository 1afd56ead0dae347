import Foundation
import Testing
import TestSupport
@testable import Defense

/// Forty steps of finemix's fine-tuning recipe (AdamW, no decay on biases and LayerNorm, linear
/// decay, clipping 1.0) on a tiny BERT with dropout off, batch for batch beside PyTorch: the loss of
/// every step and the weights after steps 1, 10, 20 and 40. Fixture: scripts/gen_trajectory_fixtures.py
/// (PyTorch in float64, the engine in Float).
@Suite struct TrajectoryTests {
    struct Run {
        var losses: [Float] = []
        var norms: [Double] = []
        var rates: [Float] = []
        /// step number → weights by tensor name, at the fixture's snapshot steps.
        var weights: [Int: [String: [Float]]] = [:]
    }

    static func fixture() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.folder("trajectory").appendingPathComponent("tiny_trajectory.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The engine through the fixture's 40 batches with `recipe`'s settings.
    static func train(_ f: [String: Any], decayBiasAndNorm: Bool = false) throws -> Run {
        let config = try JSONDecoder().decode(BertConfig.self, from: try JSONSerialization.data(withJSONObject: f["config"]!))
        let shapes = f["shapes"] as! [String: Any], weights = f["weights"] as! [String: Any]
        let model = BertModel(config: config)
        let loaded = try model.params.load(from: TensorDictionary(weights.keys.map { name in
            NamedTensor(name: name, shape: EngineTest.ints(shapes[name]), values: EngineTest.floats(weights[name]))
        }))
        #expect(loaded.loadedClassifier && loaded.loadedPooler)
        let hp = f["adamw"] as! [String: NSNumber]
        let recipe = FineTuneRecipe(epochs: 1, lr: hp["lr"]!.doubleValue, batch: 4, weightDecay: hp["weight_decay"]!.doubleValue,
                                    dropout: false, maxGradNorm: hp["max_grad_norm"]!.doubleValue)
        var settings = recipe.trainingSettings(totalSteps: (f["total_steps"] as! NSNumber).intValue)
        settings.adamw.decayBiasAndNorm = decayBiasAndNorm
        let trainer = try Trainer(model: model, settings: settings, maxBatch: 4, maxSeq: 8)
        let snapshots = Set(EngineTest.ints(f["snapshots"]))
        var run = Run()
        for (k, b) in (f["batches"] as! [[String: Any]]).enumerated() {
            let lengths = EngineTest.ints(b["lengths"]), seq = (b["seq"] as! NSNumber).intValue
            let batch = Batch(batch: lengths.count, seq: seq, ids: EngineTest.ints(b["ids"]).map(Int32.init),
                              typeIds: Array(repeating: 0, count: lengths.count * seq), lengths: lengths,
                              labels: EngineTest.ints(b["labels"]).map(Int32.init))
            let r = try trainer.step(batch)
            run.losses.append(r.loss); run.norms.append(r.gradNorm); run.rates.append(r.learningRate)
            if snapshots.contains(k + 1) {
                run.weights[k + 1] = Dictionary(uniqueKeysWithValues: model.layout.tensors.map { info in
                    (info.name, Array(UnsafeBufferPointer(start: model.params.values[info.offset], count: info.count)))
                })
            }
        }
        return run
    }

    /// Largest |engine − PyTorch| over the weights at a snapshot, leaving out the key biases: their
    /// true gradient is exactly zero (softmax ignores a per-row constant), so both sides move them
    /// by rounding noise that Adam scales up to ±lr.
    static func worstWeightError(_ run: Run, _ want: [String: Any], step: Int) -> (Float, String) {
        var worst: (Float, String) = (0, "")
        for (name, have) in run.weights[step]! where !name.hasSuffix("key.bias") {
            let err = zip(have, EngineTest.floats(want[name])).map { abs($0 - $1) }.max() ?? 0
            if err > worst.0 { worst = (err, name) }
        }
        return worst
    }

    @Test func fortyStepsFollowPyTorch() throws {
        let f = try Self.fixture()
        let run = try Self.train(f)
        let steps = f["steps"] as! [[String: Any]]
        #expect(run.losses.count == 40 && steps.count == 40)
        for (k, s) in steps.enumerated() {
            let loss = (s["loss"] as! NSNumber).floatValue, norm = (s["grad_norm"] as! NSNumber).doubleValue
            // Float against float64 over 40 updates: 1e-4 on the loss, 1e-3 relative on the norm
            // (a wrong schedule, clip or decay group changes the loss by 1e-3 or more by step 10).
            #expect(abs(run.losses[k] - loss) < 1e-4, "step \(k + 1): loss \(run.losses[k]) vs PyTorch \(loss)")
            #expect(abs(run.norms[k] - norm) < 1e-3 * norm, "step \(k + 1): gradient norm \(run.norms[k]) vs \(norm)")
            #expect(abs(run.rates[k] - (s["lr"] as! NSNumber).floatValue) < 1e-9, "step \(k + 1): learning rate")
            if let want = s["weights"] as? [String: Any] {
                let (err, name) = Self.worstWeightError(run, want, step: k + 1)
                // lr 2e-3: one step of a wrong sign or scale moves a weight by ~1e-3
                #expect(err < 5e-5, "after step \(k + 1): \(name) differs by \(err)")
            }
        }
        #expect(steps.contains { ($0["grad_norm"] as! NSNumber).doubleValue > 1 }, "the trajectory should exercise clipping")
    }

    /// The tolerance above is tight enough to see a recipe difference of one setting: decaying the
    /// biases and LayerNorm weights too.
    @Test func decayingBiasesAndLayerNormLeavesTheTrajectory() throws {
        let f = try Self.fixture()
        let run = try Self.train(f, decayBiasAndNorm: true)
        let last = (f["steps"] as! [[String: Any]]).last!["weights"] as! [String: Any]
        #expect(Self.worstWeightError(run, last, step: 40).0 > 5e-5)
    }
}
