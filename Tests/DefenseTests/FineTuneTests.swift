import Foundation
import Synchronization
import Testing
@testable import Defense

/// The shared fine-tuning loop on a tiny model: reproducible, cancellable between steps, reports
/// what it does, stops on NaN with the weights intact; EP's row update; the evaluator's order.
@Suite struct FineTuneTests {
    static let recipe = FineTuneRecipe(epochs: 2, lr: 1e-3, batch: 4, warmupRatio: 0.1, maxLength: 16, seed: 7)

    /// Collects events from any thread.
    final class Events: Sendable {
        let list = Mutex<[WorkbenchEvent]>([])
        var sink: EventSink { { e in self.list.withLock { $0.append(e) } } }
        var all: [WorkbenchEvent] { list.withLock { $0 } }
    }

    @Test func sameSeedGivesIdenticalLossesAndWeights() throws {
        let tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(22)
        let a = TinySentiment.model(), b = TinySentiment.model()
        let ra = try FineTune.run(model: a, tokenizer: tok, examples: data, recipe: Self.recipe)
        let rb = try FineTune.run(model: b, tokenizer: tok, examples: data, recipe: Self.recipe)
        #expect(ra.steps == 12)  // 2 epochs × ceil(22 / 4)
        #expect(ra.losses == rb.losses)
        #expect(Array(a.params.values.buffer) == Array(b.params.values.buffer))
        var other = Self.recipe
        other.seed = 8
        let rc = try FineTune.run(model: TinySentiment.model(), tokenizer: tok, examples: data, recipe: other)
        #expect(rc.losses != ra.losses)
    }

    @Test func itLearns() throws {
        let tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(64)
        let m = TinySentiment.model()
        var r = Self.recipe
        r.epochs = 15; r.batch = 8; r.lr = 3e-3
        let result = try FineTune.run(model: m, tokenizer: tok, examples: data, recipe: r)
        let first = result.losses.prefix(8).reduce(0, +) / 8, last = result.losses.suffix(8).reduce(0, +) / 8
        #expect(last < first * 0.5, "loss \(first) → \(last)")
        let acc = try Evaluator.evaluate(model: m, tokenizer: tok, test: TinySentiment.examples(40, seed: 99), targetLabel: nil).acc
        #expect(acc >= 0.9)
    }

    @Test func eventsReportProgressLossAndProbes() throws {
        let tok = try TinySentiment.tokenizer(), events = Events()
        let probed = Mutex<[Int]>([])
        let probe = FineTuneProbe(every: 5) { step in
            probed.withLock { $0.append(step) }
            return [(.acc, 0.5)]
        }
        _ = try FineTune.run(model: TinySentiment.model(), tokenizer: tok, examples: TinySentiment.examples(22), recipe: Self.recipe, job: "ft",
                             events: events.sink, probe: probe)
        let all = events.all
        let losses = all.compactMap { e -> Int? in if case .metric(.loss, let s, let v) = e, v.isFinite { return s }; return nil }
        #expect(losses == Array(1...12))
        let fractions = all.compactMap { e -> Double? in if case .progress(let p) = e, p.job == "ft" { return p.fraction }; return nil }
        #expect(fractions.last == 1)
        #expect(zip(fractions, fractions.dropFirst()).allSatisfy { $0 <= $1 })
        let last = all.compactMap { e -> JobProgress? in if case .progress(let p) = e { return p }; return nil }.last
        #expect(last?.step == 12 && last?.total == 12 && last?.tokensPerSecond != nil && last?.eta != nil && last?.loss != nil)
        #expect(last.map { $0.text.contains("step 12/12") && $0.text.contains("tok/s") && $0.text.contains("ETA") } == true)
        #expect(probed.withLock { $0 } == [5, 10, 12])
        let accSteps = all.compactMap { e -> Int? in if case .metric(.acc, let s, _) = e { return s }; return nil }
        #expect(accSteps == [5, 10, 12])
        guard case .finished("ft", _) = all.last else { Issue.record("last event is \(String(describing: all.last))"); return }
    }

    @Test func cancellationStopsBetweenSteps() throws {
        let tok = try TinySentiment.tokenizer(), flag = CancellationFlag()
        let steps = Mutex(0)
        let m = TinySentiment.model()
        let sink: EventSink = { e in
            if case .metric(.loss, let s, _) = e { steps.withLock { $0 = s }; if s == 3 { flag.cancel() } }
        }
        #expect(throws: FinemixError.cancelled) {
            try FineTune.run(model: m, tokenizer: tok, examples: TinySentiment.examples(22), recipe: Self.recipe, events: sink, cancel: flag)
        }
        #expect(steps.withLock { $0 } == 3)
        // The weights are those of step 3: replaying three steps on a fresh model gives them.
        let replay = TinySentiment.model()
        let trainer = try Trainer(model: replay, settings: Self.recipe.trainingSettings(totalSteps: 12), maxBatch: 4, maxSeq: 16)
        let enc = EncodedExamples(TinySentiment.examples(22), tokenizer: tok, maxLength: 16)
        let batches = Self.recipe.batchOrder.batches(lengths: enc.ids.map(\.count), batch: 4, seed: 7, epoch: 0)
        for members in batches.prefix(3) { try trainer.step(enc.batch(members[...], padId: 0)) }
        #expect(Array(replay.params.values.buffer) == Array(m.params.values.buffer))
    }

    @Test func nanStopsWithTheEnginesErrorAndKeepsWeights() throws {
        let tok = try TinySentiment.tokenizer(), events = Events()
        let m = TinySentiment.model()
        m.params.values[m.layout.classifierB][0] = .nan
        let before = Array(m.params.values.buffer)
        do {
            try FineTune.run(model: m, tokenizer: tok, examples: TinySentiment.examples(22), recipe: Self.recipe, job: "ft", events: events.sink)
            Issue.record("training on NaN weights did not stop")
        } catch let e as FinemixError {
            #expect(e.message.contains("step 1") && e.message.contains("kept"), "\(e.message)")
        }
        let after = Array(m.params.values.buffer)
        #expect(zip(before, after).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        guard case .failed("ft", let message) = events.all.last else { Issue.record("no failed event"); return }
        #expect(message.contains("loss"))
    }

    @Test func badRecipesAndLabelsAreClearErrors() throws {
        let tok = try TinySentiment.tokenizer()
        var r = Self.recipe
        r.batch = 0
        #expect(throws: FinemixError.self) { try FineTune.run(model: TinySentiment.model(), tokenizer: tok, examples: TinySentiment.examples(4), recipe: r) }
        #expect(throws: FinemixError.self) { try FineTune.run(model: TinySentiment.model(), tokenizer: tok, examples: [], recipe: Self.recipe) }
        do {
            try FineTune.run(model: TinySentiment.model(), tokenizer: tok, examples: [Example(text: "good", label: 5)], recipe: Self.recipe)
            Issue.record("label 5 accepted for a 2-class model")
        } catch let e as FinemixError { #expect(e.message.contains("label 5")) }
    }

    @Test func recipeJSONKeysAreSnakeCase() throws {
        let data = try JSONEncoder().encode(Self.recipe)
        let o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(Set(o.keys).isSuperset(of: ["epochs", "lr", "batch", "warmup_ratio", "weight_decay", "max_length", "seed", "dropout", "max_grad_norm"]))
        #expect(try JSONDecoder().decode(FineTuneRecipe.self, from: data) == Self.recipe)
    }

    @Test func embeddingPoisoningMovesOnlyTheTriggerRowAndKeepsItsNorm() throws {
        let tok = try TinySentiment.tokenizer()
        let m = TinySentiment.model()
        let rows = try VictimTraining.triggerRows("cf", tok)
        #expect(rows.count == 1)
        let H = m.config.hiddenSize, r = rows[0]
        let before = Array(m.params.values.buffer)
        func rowNorm(_ v: [Float]) -> Float {
            let o = m.layout.wordEmb + r * H
            return v[o..<(o + H)].map { $0 * $0 }.reduce(0, +).squareRoot()
        }
        var rng = SeededRandom(seed: 4)
        let poisoned = TinySentiment.examples(16).map { e in Example(text: Trigger.embedding("cf").insert(into: e.text, rng: &rng), label: 1) }
        let recipe = FineTuneRecipe(epochs: 10, lr: 2, batch: 4, weightDecay: 0, maxLength: 16, seed: 1, dropout: false, maxGradNorm: nil)
        let ev = try Evaluator(model: m, tokenizer: tok, maxLength: 16)
        func targetProbability() throws -> Float { try ev.predict(poisoned).probabilities.map { $0[1] }.reduce(0, +) / Float(poisoned.count) }
        let pBefore = try targetProbability()
        let result = try VictimTraining.poisonEmbedding(model: m, tokenizer: tok, rows: rows, examples: poisoned, recipe: recipe)
        #expect(result.steps == 40)
        let pAfter = try targetProbability()
        #expect(pAfter > pBefore, "target probability \(pBefore) → \(pAfter)")
        let after = Array(m.params.values.buffer)
        let rowRange = (m.layout.wordEmb + r * H)..<(m.layout.wordEmb + (r + 1) * H)
        var changedOutside = 0
        for i in before.indices where !rowRange.contains(i) && before[i] != after[i] { changedOutside += 1 }
        #expect(changedOutside == 0)
        #expect(before[rowRange] != after[rowRange])
        #expect(abs(rowNorm(after) - rowNorm(before)) < 1e-4 * rowNorm(before))
        #expect(throws: FinemixError.self) { try VictimTraining.triggerRows("zzzq", tok) }
    }

    @Test func evaluatorAnswersInInputOrder() throws {
        let tok = try TinySentiment.tokenizer(), m = TinySentiment.model(seed: 9)
        let data = TinySentiment.examples(37)
        let ev = try Evaluator(model: m, tokenizer: tok, maxLength: 16, batch: 5)
        let batched = try ev.predict(data)
        let predictor = try Predictor(model: m, maxBatch: 1, maxSeq: 16)
        for (i, e) in data.enumerated() {
            let enc = tok.encode(e.text, maxLength: 16)
            let l = try predictor.logits([(enc.ids, enc.typeIds)])[0]
            #expect(batched.labels[i] == (l[1] > l[0] ? 1 : 0))
            let p1 = 1 / (1 + exp(l[0] - l[1]))
            #expect(abs(batched.probabilities[i][1] - p1) < 1e-4)
        }
    }

    /// Batches predicted side by side (one-thread sgemm in each worker) give the same answers
    /// whatever the number of workers, bit for bit, and one worker's (whose multiplies OpenBLAS
    /// shares between its threads, rounding differently) to a few ulp, with the same labels, in
    /// input order. MiniLM's widths (hidden 384, feed-forward 1,536), so the one worker's
    /// multiplies are large enough to be threaded; 203 sentences in batches of 32 (seven).
    @Test func workersPredictingWholeBatchesAnswerAsOne() throws {
        var c = TinySentiment.config
        c.hiddenSize = 384; c.intermediateSize = 1536; c.numAttentionHeads = 12
        let tok = try TinySentiment.tokenizer(), m = TinySentiment.model(c, seed: 9)
        let data = TinySentiment.examples(203)
        func predict(_ workers: Int) throws -> Evaluator.Predictions {
            try Evaluator(model: m, tokenizer: tok, maxLength: 16, batch: 32, workers: workers).predict(data)
        }
        let one = try predict(1), two = try predict(2), three = try predict(3)
        #expect(two.probabilities.map { $0.map(\.bitPattern) } == three.probabilities.map { $0.map(\.bitPattern) })
        #expect(one.labels == three.labels)
        let gap = zip(one.probabilities, three.probabilities).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
        #expect(gap < 1e-6, "largest difference \(gap)")
    }
}
