import Foundation

/// Batched evaluation-mode inference over examples. Examples are sorted by token length so each
/// batch pads little, predicted, and the answers put back in the input order.
///
/// With more than one batch, each worker (one per core) predicts whole batches on its own: its
/// own activations, one-thread sgemm and kernels, batches w, w + T, w + 2T, … of the sorted order.
/// Sharing every multiply between two threads left OpenBLAS's helper spinning a third of its time
/// and made inference the slowest part of a Fine-mixing point; whole batches need no waiting. A
/// sequence's logits depend neither on its batch-mates nor on how many workers share the batches;
/// they differ from one worker's by rounding only (OpenBLAS's threaded multiply rounds
/// differently from its one-thread one).
public final class Evaluator: @unchecked Sendable {
    public let model: BertModel
    public let tokenizer: Tokenizer
    public let maxLength: Int
    private let budget: MemoryBudget
    private let workerCount: Int
    /// One per worker, made at the first prediction with more than one batch.
    private var predictors: [Predictor]
    /// With `.bf16`: the weights in BF16, rounded again before every prediction.
    private let bf16: BF16Weights?

    /// `workers`: batches predicted at once (default: one per core). `precision`: the encoder's
    /// products in FP32 (the default) or BF16 (`Precision`; refused where the CPU lacks it).
    public init(model: BertModel, tokenizer: Tokenizer, maxLength: Int = 64, batch: Int = 64,
                budget: MemoryBudget = .current(), workers: Int = Parallel.threads, precision: Precision = .fp32) throws {
        self.model = model; self.tokenizer = tokenizer
        self.maxLength = min(maxLength, model.config.maxSequenceLength)
        self.budget = budget; workerCount = max(1, workers)
        bf16 = precision.weights(of: model, round: false)
        predictors = [try Predictor(model: model, maxBatch: max(1, batch), maxSeq: self.maxLength, budget: budget, bf16: bf16)]
    }

    public struct Predictions: Sendable {
        public var labels: [Int]
        /// Softmax probabilities [example][class].
        public var probabilities: [[Float]]
    }

    public func predict(_ examples: [Example]) throws -> Predictions {
        // the model may have been trained or re-mixed since the last prediction, or loaded
        // since the evaluator was made (a mixing probe fills its buffer after)
        bf16?.refresh()
        let enc = EncodedExamples(examples, tokenizer: tokenizer, maxLength: maxLength)
        let order = (0..<enc.count).sorted { (enc.ids[$0].count, $0) < (enc.ids[$1].count, $1) }
        let B = predictors[0].maxBatch, pad = Int32(model.config.padTokenId)
        let batches = stride(from: 0, to: order.count, by: B).map { order[$0..<min(order.count, $0 + B)] }
        // Non-finite logits throw, naming the sentence (1-based, in input order) and the layer.
        func logits(_ w: Int, _ idx: ArraySlice<Int>) throws -> [[Float]] {
            try predictors[w].logits(enc.batch(idx, padId: pad, withLabels: false), numbers: idx.map { $0 + 1 })
        }
        var results = [[[Float]]](repeating: [], count: batches.count)
        let T = batches.count > 1 ? try workers() : 1
        if T <= 1 {
            for (j, idx) in batches.enumerated() { results[j] = try logits(0, idx) }
        } else {
            // Each worker stops at its first failure; the first failure in the sorted order is
            // the one the one-worker loop would have thrown.
            var tried = [Int](repeating: 0, count: T)  // per worker, the batch it last started
            let failures = tried.withUnsafeMutableBufferPointer { at in
                results.withUnsafeMutableBufferPointer { out in
                    BLASThreads.sideBySide(workers: T) { w in
                        for j in stride(from: w, to: batches.count, by: T) { at[w] = j; out[j] = try logits(w, batches[j]) }
                    }
                }
            }
            if let w = (0..<T).filter({ failures[$0] != nil }).min(by: { tried[$0] < tried[$1] }) { throw failures[w]! }
        }
        var probs = [[Float]](repeating: [], count: enc.count)
        var labels = [Int](repeating: 0, count: enc.count)
        for (idx, batchLogits) in zip(batches, results) {
            for (i, l) in zip(idx, batchLogits) {
                let m = l.max() ?? 0
                let e = l.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                probs[i] = e.map { $0 / s }
                var best = 0
                for k in l.indices where l[k] > l[best] { best = k }
                labels[i] = best
            }
        }
        return Predictions(labels: labels, probabilities: probs)
    }

    /// The predictors of every worker, each with its share of the memory budget; one when the
    /// shares cannot hold the first one's batch.
    private func workers() throws -> Int {
        let T = workerCount
        if predictors.count == 1 && T > 1 {
            let share = MemoryBudget(bytes: budget.bytes / T, source: budget.source)
            let first = predictors[0]
            guard Predictor.largestBatch(model.config, maxBatch: first.maxBatch, maxSeq: maxLength, budget: share,
                                         precision: first.precision) >= first.maxBatch
            else { return 1 }
            for _ in 1..<T {
                predictors.append(try Predictor(model: model, maxBatch: first.maxBatch, maxSeq: maxLength, budget: share, bf16: bf16))
            }
        }
        return predictors.count
    }

    /// ACC on `test` and, with a target, ASR on `asrSet` (docs/method.md, "Metrics").
    public func evaluate(test: [Example], asrSet: [Example] = [], targetLabel: Int?) throws -> EvaluationResult {
        try Metrics.evaluate(test: test, poisonedTest: asrSet, targetLabel: targetLabel) { try self.predict($0).labels }
    }

    public static func evaluate(model: BertModel, tokenizer: Tokenizer, test: [Example], asrSet: [Example] = [],
                                targetLabel: Int?, maxLength: Int = 64, precision: Precision = .fp32) throws -> EvaluationResult {
        try Evaluator(model: model, tokenizer: tokenizer, maxLength: maxLength, precision: precision)
            .evaluate(test: test, asrSet: asrSet, targetLabel: targetLabel)
    }
}
