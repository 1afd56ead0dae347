import Foundation

/// Batched evaluation-mode inference over examples. Examples are sorted by token length so each
/// batch pads little, predicted, and the answers put back in the input order.
public final class Evaluator: @unchecked Sendable {
    public let model: BertModel
    public let tokenizer: Tokenizer
    public let maxLength: Int
    private let predictor: Predictor

    public init(model: BertModel, tokenizer: Tokenizer, maxLength: Int = 64, batch: Int = 64) throws {
        self.model = model; self.tokenizer = tokenizer
        self.maxLength = min(maxLength, model.config.maxSequenceLength)
        predictor = try Predictor(model: model, maxBatch: max(1, batch), maxSeq: self.maxLength)
    }

    public struct Predictions: Sendable {
        public var labels: [Int]
        /// Softmax probabilities [example][class].
        public var probabilities: [[Float]]
    }

    public func predict(_ examples: [Example]) throws -> Predictions {
        let enc = EncodedExamples(examples, tokenizer: tokenizer, maxLength: maxLength)
        let order = (0..<enc.count).sorted { (enc.ids[$0].count, $0) < (enc.ids[$1].count, $1) }
        var probs = [[Float]](repeating: [], count: enc.count)
        var labels = [Int](repeating: 0, count: enc.count)
        let B = predictor.maxBatch, pad = Int32(model.config.padTokenId)
        var start = 0
        while start < order.count {
            let idx = order[start..<min(order.count, start + B)]
            // Non-finite logits throw, naming the sentence (1-based, in input order) and the layer.
            let logits = try predictor.logits(enc.batch(idx, padId: pad, withLabels: false), numbers: idx.map { $0 + 1 })
            for (i, l) in zip(idx, logits) {
                let m = l.max() ?? 0
                let e = l.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                probs[i] = e.map { $0 / s }
                var best = 0
                for k in l.indices where l[k] > l[best] { best = k }
                labels[i] = best
            }
            start += B
        }
        return Predictions(labels: labels, probabilities: probs)
    }

    /// ACC on `test` and, with a target, ASR on `asrSet` (docs/method.md, "Metrics").
    public func evaluate(test: [Example], asrSet: [Example] = [], targetLabel: Int?) throws -> EvaluationResult {
        try Metrics.evaluate(test: test, poisonedTest: asrSet, targetLabel: targetLabel) { try self.predict($0).labels }
    }

    public static func evaluate(model: BertModel, tokenizer: Tokenizer, test: [Example], asrSet: [Example] = [],
                                targetLabel: Int?, maxLength: Int = 64) throws -> EvaluationResult {
        try Evaluator(model: model, tokenizer: tokenizer, maxLength: maxLength).evaluate(test: test, asrSet: asrSet, targetLabel: targetLabel)
    }
}
