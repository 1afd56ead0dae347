import Foundation
import Testing
@testable import Defense

/// A training step cut into parts run side by side (TrainingSettings.shards): the whole step
/// but for the order of the gradient's sums, the same bits on every run, and the unsharded
/// step's promises (NaN stops with the weights kept, memory refused up front).
@Suite struct ShardedTrainingTests {
    typealias T = TrainingStepTests

    static func settings(shards: Int, dropout: Bool = true) -> TrainingSettings {
        TrainingSettings(schedule: LinearSchedule(baseRate: 1e-3, warmupSteps: 2, totalSteps: 100), seed: 42,
                         dropout: dropout, shards: shards)
    }

    /// Three steps (dropout on, the last batch of three sequences) whole and in `shards` parts:
    /// the losses, the last gradient and the weights agree to float rounding. A part drawing
    /// another part's dropout masks, or dividing its loss by its own size, is off by far more.
    @Test(arguments: [2, 3, 8])
    func aStepInPartsIsTheWholeStep(shards: Int) throws {
        var batches = (0..<2).map(T.batch)
        batches.append(T.batch(2).sequences(2..<5))
        func run(_ k: Int) throws -> (losses: [Float], grads: [Float], weights: [Float]) {
            let m = T.model()
            let t = try Trainer(model: m, settings: Self.settings(shards: k), maxBatch: 8, maxSeq: 16)
            let losses = try batches.map { try t.step($0).loss }
            // k activations, each for its share of the batch: the step was cut
            let share = (8 + k - 1) / k
            #expect(t.activationBytes == k * Activations.bytes(config: m.config, maxBatch: share, maxSeq: 16, training: true))
            return (losses, Array(m.grads!.buffer), T.values(m))
        }
        let whole = try run(1), parts = try run(shards)
        for (a, b) in zip(whole.losses, parts.losses) { #expect(abs(a - b) <= 1e-6 * abs(a), "loss \(b) vs \(a)") }
        let scale = whole.grads.map(abs).max()!
        let dg = zip(whole.grads, parts.grads).map { abs($0 - $1) }.max()!
        #expect(dg <= 1e-5 * scale, "gradient off by \(dg) (largest \(scale))")
        let dw = zip(whole.weights, parts.weights).map { abs($0 - $1) }.max()!
        #expect(dw <= 1e-6, "weights off by \(dw)")
    }

    /// Two cores writing two buffers at once: the same recipe gives the same bits every time.
    @Test func partsGiveTheSameBitsOnEveryRun() throws {
        func run() throws -> [Float] {
            let m = T.model()
            let t = try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: 8, maxSeq: 16)
            for k in 0..<4 { try t.step(T.batch(k)) }
            return T.values(m)
        }
        let a = try run()
        for _ in 0..<3 { #expect(try run() == a) }
    }

    /// NaN in one part only (a token only the last sequence reads) stops the step before any
    /// weight moves.
    @Test func nanInOnePartStopsAndKeepsWeights() throws {
        let m = T.model()
        let t = try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: 8, maxSeq: 16)
        try t.step(T.batch(0))
        var b = T.batch(1)
        for i in 0..<b.ids.count where b.ids[i] == 39 { b.ids[i] = 38 }
        b.ids[(b.batch - 1) * b.seq + 1] = 39
        let lay = m.layout, E = lay.config.embeddingWidth
        m.params.values.base[lay.wordEmb + 39 * E] = .nan
        let before = T.values(m)
        #expect {
            try t.step(b)
        } throws: { e in
            (e as? FinemixError)?.message.contains("loss is nan") ?? false
        }
        #expect(T.values(m).elementsEqual(before) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(t.step == 1)
    }

    /// A token id outside the vocabulary in a later part is refused at its place in the whole
    /// batch, before any part's table rows are touched (they are indices into gradient buffers).
    @Test(arguments: [Int32(-1), Int32(40), Int32.max])
    func anIdOutsideTheTableInALaterPartIsRefused(id: Int32) throws {
        let m = T.model()
        let t = try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: 8, maxSeq: 16, lazyEmbeddings: true)
        var b = T.batch(0)
        b.ids[(b.batch - 1) * b.seq + 1] = id
        let before = T.values(m)
        let msg = NumericFaultTests.message { try t.step(b) }
        #expect(msg.contains("token id \(id) at sequence 7, position 1 is outside the vocabulary"), "\(msg)")
        #expect(T.values(m) == before)
    }

    /// The parts' activations and their own gradient buffers are counted before anything is
    /// allocated, and the message says what they are.
    @Test func partsThatDoNotFitAreRefusedNamingWhatTheyNeed() throws {
        let m = TinySentiment.model()
        let budget = MemoryBudgetTests.small, grads = m.layout.count * 4
        let msg = NumericFaultTests.message {
            _ = try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: 4096, maxSeq: 32, budget: budget)
        }
        let need = Activations.bytes(config: m.config, maxBatch: 4096, maxSeq: 32, training: true, parts: 2, gradientBytes: grads)
        #expect(need > Activations.bytes(config: m.config, maxBatch: 4096, maxSeq: 32, training: true))
        let fit = Activations.largestBatch(config: m.config, maxSeq: 32, training: true, limit: 4096, within: budget.bytes,
                                           parts: 2, gradientBytes: grads)
        #expect(fit > 1 && fit < 4096)
        #expect(msg == "a batch of 4096 sequences × 32 tokens needs \(MemoryBudget.describe(need)) of training activations and gradients for 2 parts side by side, but 4.2 MB is available (a test budget); at most \(fit) sequences of 32 tokens fit; use a smaller batch", "\(msg)")
        _ = try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: fit, maxSeq: 32, budget: budget)
        #expect(throws: FinemixError.self) {
            try Trainer(model: m, settings: Self.settings(shards: 2), maxBatch: fit + 1, maxSeq: 32, budget: budget)
        }
    }

    /// A recipe's parts per step are checked like its other numbers.
    @Test func recipesRefuseImpossiblePartCounts() {
        for bad in [0, -1, 65] {
            #expect(throws: FinemixError.self) { try FineTuneRecipe(shards: bad).validate() }
        }
        #expect(throws: Never.self) { try FineTuneRecipe(shards: 64).validate() }
    }
}
