/// ACC and ASR as docs/method.md defines them, from predictions only (no engine dependency).
public struct EvaluationResult: Sendable, Hashable, Codable {
    /// Clean accuracy: fraction of the clean test set predicted correctly, in [0, 1].
    public var acc: Double
    /// Attack success rate: fraction of the triggered non-target test sentences predicted as the
    /// target, in [0, 1]; nil when there was no trigger to test.
    public var asr: Double?
    public var nTest: Int
    public var nCorrect: Int
    public var nPoisonedTest: Int
    public var nPoisonedToTarget: Int
    public var targetLabel: Int?
    /// The trigger `asr` was measured with, and whether it is the hunt's estimate.
    public var asrBasis: ASRBasis?

    public init(acc: Double, asr: Double?, nTest: Int, nCorrect: Int, nPoisonedTest: Int, nPoisonedToTarget: Int, targetLabel: Int?) {
        self.acc = acc
        self.asr = asr
        self.nTest = nTest
        self.nCorrect = nCorrect
        self.nPoisonedTest = nPoisonedTest
        self.nPoisonedToTarget = nPoisonedToTarget
        self.targetLabel = targetLabel
    }
}

public enum Metrics {
    /// value − reference when both are known (a variant's ΔACC or ΔASR against the victim's).
    public static func change(_ value: Double?, from reference: Double?) -> Double? {
        guard let value, let reference else { return nil }
        return value - reference
    }

    /// `predict` maps examples to class indices, one per example, in order.
    public typealias Predict = ([Example]) throws -> [Int]

    /// ACC on `test`; ASR on `poisonedTest` (built by `Poisoner.asrTestSet`) when a target is given.
    public static func evaluate(test: [Example], poisonedTest: [Example] = [], targetLabel: Int?,
                                predict: Predict) throws -> EvaluationResult {
        guard !test.isEmpty else { throw FinemixError("the test set is empty: nothing to measure accuracy on") }
        let predictions = try predictions(test, predict, "test")
        var correct = 0
        for (p, e) in zip(predictions, test) where p == e.label { correct += 1 }
        var asr: Double? = nil
        var toTarget = 0
        if let targetLabel, !poisonedTest.isEmpty {
            if let wrong = poisonedTest.first(where: { $0.label == targetLabel }) {
                throw FinemixError("the poisoned test set holds a sentence whose true label is the target \(targetLabel) (\"\(wrong.text.prefix(60))\"); ASR counts only non-target sentences")
            }
            let poisoned = try self.predictions(poisonedTest, predict, "poisoned test")
            toTarget = poisoned.filter { $0 == targetLabel }.count
            asr = Double(toTarget) / Double(poisonedTest.count)
        }
        return EvaluationResult(acc: Double(correct) / Double(test.count), asr: asr, nTest: test.count, nCorrect: correct,
                                nPoisonedTest: poisonedTest.count, nPoisonedToTarget: toTarget, targetLabel: targetLabel)
    }

    private static func predictions(_ examples: [Example], _ predict: Predict, _ what: String) throws -> [Int] {
        let p = try predict(examples)
        guard p.count == examples.count else {
            throw FinemixError("the model gave \(p.count) predictions for the \(examples.count) \(what) examples")
        }
        return p
    }
}
