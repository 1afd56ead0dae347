import Foundation
import Testing
@testable import Defense

/// The lazily updated embedding table (LazyRows) against the dense AdamW step, and the batches
/// grouped by length (BatchOrder) with the recipes that record them.
@Suite struct LazyRowsTests {
    /// A flat buffer of 16 dense values, a 40 × 6 table, and 10 more values that do not decay;
    /// over 70 steps with a changing learning rate, rows are touched at irregular times (some
    /// never, some once, some often), the lazy run synchronized in the middle and at the end.
    /// Weights and both moments must be the dense run's bits.
    @Test func lazyTableIsTheDenseStepBitForBit() throws {
        let rows = 40, width = 6, table = 16..<(16 + rows * width), count = table.upperBound + 10
        let segments = [Freezing.Segment(range: 0..<table.upperBound, decays: true),
                        Freezing.Segment(range: table.upperBound..<count, decays: false)]
        let settings = AdamWSettings(weightDecay: 0.05)
        let dense = AdamW(count: count, settings: settings), lazyOpt = AdamW(count: count, settings: settings)
        let pDense = FlatBuffer(count: count), pLazy = FlatBuffer(count: count)
        let gDense = FlatBuffer(count: count), gLazy = FlatBuffer(count: count)
        var init0 = SeededRandom(seed: 5)
        for i in 0..<count { let x = Float(init0.below(2001) - 1000) / 1000; pDense.base[i] = x; pLazy.base[i] = x }
        let lazy = try #require(LazyRows(table: table, width: width, segments: segments))
        var rng = SeededRandom(seed: 11)
        for step in 0..<70 {
            // Irregular touches: row 0 every step, row 1 only at step 3, rows 2..5 never, the rest at random.
            var touched = [0] + (step == 3 ? [1] : [])
            for r in 6..<rows where rng.below(9) == 0 { touched.append(r) }
            lazy.begin(ids: touched.map(Int32.init), optimizer: lazyOpt, params: pLazy, grads: gLazy)
            gDense.zero()
            for i in 0..<count where !table.contains(i) {
                let g = Float(rng.below(2001) - 1000) / 500
                gDense.base[i] = g; gLazy.base[i] = g
            }
            for r in touched {
                for j in 0..<width {
                    let g = Float(rng.below(2001) - 1000) / 500, i = table.lowerBound + r * width + j
                    gDense.base[i] = g; gLazy.base[i] = g
                }
            }
            let nDense = GradientClipping.clip(gDense, segments: segments, maxNorm: 5)
            let nLazy = GradientClipping.clip(gLazy, segments: segments, maxNorm: 5, lazy: lazy)
            #expect(nDense == nLazy, "step \(step): norm \(nLazy) vs \(nDense)")
            let lr = Float(1e-2) * Float(70 - step) / 70
            dense.update(params: pDense, grads: gDense, segments: segments, lr: lr)
            lazyOpt.update(params: pLazy, grads: gLazy, segments: segments, lr: lr, lazy: lazy)
            if step == 35 {
                lazy.synchronize(optimizer: lazyOpt, params: pLazy)
                #expect(Array(pLazy.buffer) == Array(pDense.buffer), "after synchronizing at step 36")
            }
        }
        // Before synchronizing, a never-touched row is behind (the work was deferred).
        let never = table.lowerBound + 2 * width
        #expect(pLazy.base[never] != pDense.base[never])
        lazy.synchronize(optimizer: lazyOpt, params: pLazy)
        #expect(Array(pLazy.buffer) == Array(pDense.buffer))
        #expect(Array(lazyOpt.m.buffer) == Array(dense.m.buffer))
        #expect(Array(lazyOpt.v.buffer) == Array(dense.v.buffer))
    }

    /// The training loop with the lazy table against the dense trainer on the same batches, with
    /// clipping and weight decay: the same weights, bit for bit, whole or in parts (each part's
    /// table rows are summed alone under the lazy table, its whole buffer under the dense step).
    @Test(arguments: [1, 2, 3])
    func fineTuneWithLazyTableMatchesDenseTrainer(shards: Int) throws {
        let tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(24)
        // 200 rows, of which the tokenizer reaches 19: most rows only decay.
        let config = TinySentiment.config(vocab: 200)
        var recipe = FineTuneRecipe(epochs: 3, lr: 3e-3, batch: 4, maxLength: 16, seed: 2, dropout: false, shards: shards)
        recipe.weightDecay = 0.1
        let encoded = EncodedExamples(data, tokenizer: tok, maxLength: 16)
        var weights: [[Float]] = []
        for lazy in [false, true] {
            let model = TinySentiment.model(config)
            let trainer = try Trainer(model: model, settings: recipe.trainingSettings(totalSteps: recipe.totalSteps(examples: data.count)),
                                      maxBatch: 4, maxSeq: 16, lazyEmbeddings: lazy)
            #expect((trainer.lazy != nil) == lazy)
            _ = try FineTune.loop(stepper: trainer, encoded: encoded, recipe: recipe, padId: 0, numLabels: 2, job: "t",
                                  events: { _ in }, cancel: nil, probe: nil)
            weights.append(Array(model.params.values.buffer))
        }
        #expect(weights[0] == weights[1])
    }

    /// EP's chosen rows and a frozen table are not a whole trainable table: no lazy update.
    @Test func onlyAWholeTrainableTableIsLazy() throws {
        let layout = ParameterLayout(TinySentiment.config)
        let table = layout.wordEmb..<(layout.wordEmb + layout.config.vocabSize * layout.config.embeddingWidth)
        let w = layout.config.embeddingWidth
        #expect(LazyRows(table: table, width: w, segments: try Freezing.none.segments(layout, decayBiasAndNorm: false)) != nil)
        #expect(LazyRows(table: table, width: w, segments: try Freezing.wordEmbeddingRows([7]).segments(layout, decayBiasAndNorm: false)) == nil)
        #expect(LazyRows(table: table, width: w, segments: try Freezing.only(["classifier.weight"]).segments(layout, decayBiasAndNorm: false)) == nil)
    }

    // MARK: batches grouped by length

    @Test func groupedBatchesCoverEveryExampleOnceWithLittlePadding() {
        var r = SeededRandom(seed: 4)
        let lengths = (0..<1000).map { _ in 3 + r.below(60) }
        func padded(_ bs: [[Int]]) -> Int { bs.reduce(0) { $0 + $1.count * ($1.map { lengths[$0] }.max() ?? 0) } }
        let grouped = BatchOrder.lengthGrouped.batches(lengths: lengths, batch: 32, seed: 1, epoch: 0)
        let shuffled = BatchOrder.shuffled.batches(lengths: lengths, batch: 32, seed: 1, epoch: 0)
        #expect(grouped.count == 32 && shuffled.count == 32)
        #expect(grouped.flatMap { $0 }.sorted() == Array(0..<1000))
        #expect(grouped.filter { $0.count < 32 }.count == 1)
        let real = lengths.reduce(0, +)
        #expect(Double(padded(grouped)) < 1.1 * Double(real), "grouped: \(padded(grouped)) padded for \(real) real")
        #expect(Double(padded(shuffled)) > 1.5 * Double(real))
        // Seeded: the same seed and epoch give the same batches; another epoch other ones.
        #expect(BatchOrder.lengthGrouped.batches(lengths: lengths, batch: 32, seed: 1, epoch: 0) == grouped)
        #expect(BatchOrder.lengthGrouped.batches(lengths: lengths, batch: 32, seed: 1, epoch: 1) != grouped)
    }

    /// `.shuffled` is the loop's batching before length grouping, so old recipes train as they did.
    @Test func shuffledBatchesAreTheOldOrder() {
        let lengths = [Int](repeating: 5, count: 70)
        var rng = SeededRandom(seed: 9, stream: "fine-tune-epoch-2")
        let order = rng.shuffled(Array(0..<70))
        let old = stride(from: 0, to: 70, by: 16).map { Array(order[$0..<min(70, $0 + 16)]) }
        #expect(BatchOrder.shuffled.batches(lengths: lengths, batch: 16, seed: 9, epoch: 2) == old)
    }

    /// attack.json and defense.json recipes without "batches" (written before it) mean shuffled
    /// batches; new recipes record their order.
    @Test func recipesRecordTheBatchOrderAndOldOnesKeepShuffled() throws {
        let new = AttackRecipe(trigger: .default, poisonRate: 0.1, target: 1, fineTune: FineTuneRecipe(), trainSize: 10, cleanSize: 5, testSize: 5)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(new)) as! [String: Any]
        #expect(json["batches"] as? String == "length-grouped")
        var old = json
        old["batches"] = nil
        let decoded = try JSONDecoder().decode(AttackRecipe.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.batches == nil && decoded.fineTune.batchOrder == .shuffled)
        #expect(new.fineTune.batchOrder == .lengthGrouped)
        // parts per step likewise: recorded, and 1 (unsharded) when absent
        #expect(json["shards"] as? Int == FineTuneRecipe.defaultShards && new.fineTune.shards == FineTuneRecipe.defaultShards)
        old["shards"] = nil
        #expect(try JSONDecoder().decode(AttackRecipe.self, from: JSONSerialization.data(withJSONObject: old)).fineTune.shards == 1)

        let defense = DefenseRecipe(method: .finemix)
        var d = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defense)) as! [String: Any]
        #expect(d["batches"] as? String == "length-grouped")
        d["batches"] = nil
        let oldDefense = try JSONDecoder().decode(DefenseRecipe.self, from: JSONSerialization.data(withJSONObject: d))
        #expect(oldDefense.fineTune.batchOrder == .shuffled)
        #expect(d["shards"] as? Int == FineTuneRecipe.defaultShards && defense.fineTune.shards == FineTuneRecipe.defaultShards)
        d["shards"] = nil
        #expect(try JSONDecoder().decode(DefenseRecipe.self, from: JSONSerialization.data(withJSONObject: d)).fineTune.shards == 1)
    }

    /// A plan's training cells name their batch order; a cell written before the option runs shuffled.
    @Test func planCellsPinTheBatchOrder() {
        let cell = PlanCell(index: 0, key: "rho 0.3", arguments: ["finemix", "sweep", "--victim", "v", "--rho", "0.3"], inputs: [])
        #expect(cell.runArguments == cell.arguments + ["--batches", "shuffled", "--shards", "1"])
        let pinned = PlanCell.pinningRecipe(cell.arguments, batches: .lengthGrouped, shards: 2)
        #expect(pinned.suffix(4) == ["--batches", "length-grouped", "--shards", "2"])
        #expect(PlanCell(index: 0, key: "k", arguments: pinned, inputs: []).runArguments == pinned)
        #expect(PlanCell.pinningRecipe(["finemix", "eval", "--victim", "v"], batches: .shuffled, shards: 1) == ["finemix", "eval", "--victim", "v"])
    }
}
