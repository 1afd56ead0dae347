import Foundation
import Testing
@testable import Defense

/// BF16 training (`--precision bf16` of attack and defend): each of the encoder's products is
/// sgemm on BF16-rounded operands, a step is the FP32 step within BF16's error, the same recipe
/// gives the same bits every run, weights changed between steps are read fresh, and the recipes
/// record the choice, and the memory check counts the rounded operands. The products need
/// AVX512-BF16, as the option does (BF16Tests checks the refusal elsewhere).
@Suite struct BF16TrainingTests {
    static let supported = BF16Tests.supported

    typealias T = TrainingStepTests

    /// Wide enough for oneDNN's BF16 kernels (the tiny model's 16 would take its fallbacks).
    static let config: BertConfig = {
        var c = TinySentiment.config(vocab: 40, positions: 16)
        c.hiddenSize = 64; c.intermediateSize = 256
        return c
    }()

    static func model(seed: UInt64 = 1) -> BertModel { TinySentiment.model(config, seed: seed) }

    static func settings(_ precision: Precision, shards: Int = 2, dropout: Bool = true) -> TrainingSettings {
        TrainingSettings(schedule: LinearSchedule(baseRate: 1e-3, warmupSteps: 2, totalSteps: 100), seed: 42,
                         dropout: dropout, shards: shards, precision: precision)
    }

    static func rounded(_ x: [Float]) -> [Float] { x.map { Float(bitPattern: UInt32(BF16.round($0)) << 16) } }

    static func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

    /// Forward, input gradient and weight gradient, whole and strided as the last layer's
    /// first-token path reads them: each equals sgemm on the rounded operands to FP32 summation
    /// order. A transposed or misplaced operand is off by the values' own size.
    @Test(.enabled(if: supported), arguments: [false, true])
    func productsAreSgemmOnRoundedOperands(strided: Bool) throws {
        let model = Self.model(), H = Self.config.hiddenSize, I = Self.config.intermediateSize
        let products = try BF16Products(weights: BF16Weights(model), maxRows: 24)
        // QKV's K and V block read from every other row of a wider buffer, as the compact path does
        let (rows, inF, outF) = strided ? (12, H, 2 * H) : (24, I, H)
        let inStride = strided ? 2 * H : inF, outStride = strided ? 3 * H : outF
        let o = model.layout.layers[1], w = strided ? model.params.values[o.qkvW] + H * H : model.params.values[o.outW]
        let weight = Array(UnsafeBufferPointer(start: w, count: outF * inF))
        let inp = EngineTest.randomArray(rows * inStride, seed: 5), dout = EngineTest.randomArray(rows * outStride, seed: 6, scale: 0.1)
        let bias = EngineTest.randomArray(rows * outStride, seed: 7)
        let (rInp, rDout, rW) = (Self.rounded(inp), Self.rounded(dout), Self.rounded(weight))

        var got = bias, want = bias, gotPlain = bias
        try products.forward(&got, inp, w, rows: rows, inF: inF, outF: outF, inStride: inStride, outStride: outStride)
        Linear.accumulate(&want, rInp, rW, rows: rows, inF: inF, outF: outF, inStride: inStride, outStride: outStride)
        Linear.accumulate(&gotPlain, inp, weight, rows: rows, inF: inF, outF: outF, inStride: inStride, outStride: outStride)
        #expect(Self.worst(got, want) < 1e-4, "forward off by \(Self.worst(got, want))")
        #expect(Self.worst(got, gotPlain) > 1e-3, "the forward product was not rounded")
        // without `add` the bias is not read
        var fresh = [Float](repeating: .nan, count: rows * outStride)
        if !strided {
            try products.forward(&fresh, inp, w, rows: rows, inF: inF, outF: outF, add: false)
            var zero = [Float](repeating: 0, count: rows * outF)
            Linear.accumulate(&zero, rInp, rW, rows: rows, inF: inF, outF: outF)
            #expect(Self.worst(fresh, zero) < 1e-4)
        }

        var dW = EngineTest.randomArray(outF * inF, seed: 8), dWWant = dW
        var db = [Float](repeating: 1, count: outF), dbWant = db
        var dX = EngineTest.randomArray(rows * inStride, seed: 9), dXWant = dX
        try products.backward(dinp: &dX, accumulateInput: true, dweight: &dW, dbias: &db, dout: dout, inp: inp, weight: w,
                              rows: rows, inF: inF, outF: outF, doutStride: outStride, inStride: inStride)
        Linear.backward(dinp: &dXWant, accumulateInput: true, dweight: &dWWant, dbias: &dbWant, dout: rDout, inp: rInp, weight: rW,
                        rows: rows, inF: inF, outF: outF, doutStride: outStride, inStride: inStride)
        #expect(Self.worst(dX, dXWant) < 1e-4, "input gradient off by \(Self.worst(dX, dXWant))")
        #expect(Self.worst(dW, dWWant) < 1e-4, "weight gradient off by \(Self.worst(dW, dWWant))")
        // the bias gradient sums the FP32 output gradient, as FP32 training does
        var dbFP32 = [Float](repeating: 1, count: outF)
        Linear.columnSums(&dbFP32, dout, rows: rows, cols: outF, stride: outStride)
        #expect(db == dbFP32)
    }

    /// One step with dropout, in two parts: the loss and gradient of BF16 training are FP32's
    /// within BF16's error, and not FP32's bits (the products ran in BF16).
    @Test(.enabled(if: supported)) func aStepIsTheFP32StepWithinBF16Error() throws {
        func step(_ p: Precision) throws -> (loss: Float, grads: [Float]) {
            let m = Self.model()
            let t = try Trainer(model: m, settings: Self.settings(p), maxBatch: 8, maxSeq: 16)
            let loss = try t.step(T.batch(0)).loss
            return (loss, Array(m.grads!.buffer))
        }
        let fp32 = try step(.fp32), bf16 = try step(.bf16)
        #expect(abs(fp32.loss - bf16.loss) < 0.01 * fp32.loss, "loss \(bf16.loss) against \(fp32.loss)")
        let norm = fp32.grads.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let off = zip(fp32.grads, bf16.grads).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(off < 0.05 * norm, "gradient off by \(off) of \(norm)")
        #expect(off > 1e-5 * norm, "BF16's gradient is FP32's to \(off / norm): the products did not run in BF16")
    }

    /// Two cores writing at once, as in a victim's planting: the same bits on every run; and
    /// BF16 training follows FP32's loss curve on the tiny task.
    @Test(.enabled(if: supported)) func theSameRecipeGivesTheSameBitsAndLearnsAsFP32() throws {
        func run(_ p: Precision) throws -> (weights: [Float], losses: [Float]) {
            let m = Self.model()
            let t = try Trainer(model: m, settings: Self.settings(p), maxBatch: 8, maxSeq: 16)
            let losses = try (0..<40).map { try t.step(T.batch($0 % 4)).loss }
            return (T.values(m), losses)
        }
        let a = try run(.bf16), fp32 = try run(.fp32)
        #expect(try run(.bf16).weights == a.weights)
        let first = a.losses.prefix(4).reduce(0, +), last = a.losses.suffix(4).reduce(0, +)
        let lastFP32 = fp32.losses.suffix(4).reduce(0, +)
        #expect(last < 0.8 * first, "losses \(a.losses)")
        #expect(abs(last - lastFP32) < 0.1 * lastFP32, "BF16 losses \(a.losses), FP32 \(fp32.losses)")
    }

    /// A caller changing the weights between steps (the workbench re-mixing, a prune mask): the
    /// next step reads them, as a new trainer on the changed model does.
    @Test(.enabled(if: supported)) func weightsChangedBetweenStepsAreReadFresh() throws {
        let m = Self.model(), settings = Self.settings(.bf16, dropout: false)
        let t = try Trainer(model: m, settings: settings, maxBatch: 8, maxSeq: 16)
        try t.step(T.batch(0))
        for o in m.layout.layers {
            let w = m.params.values[o.interW]
            for i in 0..<(Self.config.intermediateSize * Self.config.hiddenSize) { w[i] = -2 * w[i] }
        }
        let copy = BertModel(config: Self.config)
        copy.params.copy(from: m.params)
        let fresh = try Trainer(model: copy, settings: settings, maxBatch: 8, maxSeq: 16).step(T.batch(1)).loss
        #expect(try t.step(T.batch(1)).loss == fresh)
    }

    /// attack.json and defense.json say how a model was trained; files without the keys were FP32.
    @Test func recipesRecordTheTrainingPrecision() throws {
        var ft = FineTuneRecipe()
        #expect(ft.trainingSettings(totalSteps: 10).precision == .fp32)
        ft.precision = .bf16
        #expect(ft.trainingSettings(totalSteps: 10).precision == .bf16)
        let attack = AttackRecipe(trigger: .default, poisonRate: 0.1, target: 1, fineTune: ft, trainSize: 10, cleanSize: 5, testSize: 5)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(attack)) as! [String: Any]
        #expect(json["precision"] as? String == "bf16")
        #expect(try JSONDecoder().decode(AttackRecipe.self, from: JSONEncoder().encode(attack)).fineTune.precision == .bf16)
        json["precision"] = nil
        let old = try JSONDecoder().decode(AttackRecipe.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.fineTune.precision == nil && old.fineTune.trainingSettings(totalSteps: 1).precision == .fp32)

        // victims planted before the field existed are found under their keys: an FP32 recipe
        // spells as it did then (the description of this version's FineTuneRecipe without it)
        let before = "FineTuneRecipe(epochs: 3, lr: 5e-05, batch: 32, warmupRatio: 0.0, weightDecay: 0.01, maxLength: 64, seed: 1, "
            + "dropout: true, maxGradNorm: Optional(1.0), batchOrder: Defense.BatchOrder.lengthGrouped, shards: 2)"
        #expect(FineTuneRecipe().cacheText == before)
        #expect(ft.cacheText != before && ft.cacheText.contains("bf16"))

        var defense = DefenseRecipe(method: .finemix)
        #expect(defense.precisionLine == nil)
        defense.training = .bf16
        #expect(defense.fineTune.precision == .bf16)
        json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defense)) as! [String: Any]
        #expect(json["training_precision"] as? String == "bf16" && json["evaluation_precision"] == nil)
        defense.evaluation = .bf16
        #expect(defense.precisionLine == "training and evaluations in BF16 (docs/bf16.md)")
    }

    /// Each part rounds its inputs and its output gradients into room of its own: a batch that
    /// fits in FP32 but not with that room is refused before anything trains.
    @Test func theMemoryCheckCountsTheRoundedOperands() throws {
        let c = BertConfig.minilm
        func need(_ p: Precision) -> Int {
            Activations.bytes(config: c, maxBatch: 32, maxSeq: 64, training: true, parts: 2, precision: p)
        }
        // two parts of 16 × 64 rows, two operands each as wide as the feed-forward (1,536), 2 bytes a value
        #expect(need(.bf16) - need(.fp32) == 2 * 2 * (16 * 64) * 1536 * 2)
        let budget = MemoryBudget(bytes: (need(.fp32) + need(.bf16)) / 2, source: "a test's budget")
        try Activations.requireFits(config: c, maxBatch: 32, maxSeq: 64, training: true, parts: 2, precision: .fp32, budget: budget)
        #expect(throws: FinemixError.self) {
            try Activations.requireFits(config: c, maxBatch: 32, maxSeq: 64, training: true, parts: 2, precision: .bf16, budget: budget)
        }
    }
}
