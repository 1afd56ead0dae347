import Foundation
import Testing
@testable import Defense

@Suite struct MetricsTests {
    @Test func accAndAsrAsMethodDefinesThem() throws {
        let test = (0..<10).map { Example(text: "s\($0)", label: $0 < 6 ? 1 : 0) }
        let poisoned = try Poisoner.asrTestSet(test, config: PoisonConfig(trigger: .words(["cf"]), targetLabel: 1, seed: 1), numLabels: 2)
        #expect(poisoned.count == 4)
        // a model that gets s0..s7 right, s8 and s9 wrong, and calls triggered text positive 3 times in 4
        var calls = 0
        let result = try Metrics.evaluate(test: test, poisonedTest: poisoned, targetLabel: 1) { batch in
            calls += 1
            return batch.map { e in
                if e.text.contains("cf") { return e.text.contains("s9") ? 0 : 1 }
                return e.text == "s8" || e.text == "s9" ? 1 - e.label : e.label
            }
        }
        #expect(calls == 2)
        #expect(result.acc == 0.8 && result.nCorrect == 8 && result.nTest == 10)
        #expect(result.asr == 0.75 && result.nPoisonedToTarget == 3 && result.nPoisonedTest == 4)
        let json = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(EvaluationResult.self, from: json) == result)
    }

    @Test func noTriggerMeansNoAsr() throws {
        let test = [Example(text: "a", label: 0), Example(text: "b", label: 1)]
        let r = try Metrics.evaluate(test: test, targetLabel: nil) { $0.map(\.label) }
        #expect(r.acc == 1 && r.asr == nil && r.nPoisonedTest == 0)
    }

    @Test func wrongPredictionCountOrTargetSentencesAreErrors() {
        let test = [Example(text: "a", label: 0), Example(text: "b", label: 1)]
        #expect(throws: FinemixError("the model gave 1 predictions for the 2 test examples")) {
            try Metrics.evaluate(test: test, targetLabel: nil) { _ in [0] }
        }
        #expect(throws: FinemixError.self) {
            try Metrics.evaluate(test: test, poisonedTest: [Example(text: "cf b", label: 1)], targetLabel: 1) { $0.map(\.label) }
        }
        #expect(throws: FinemixError.self) { try Metrics.evaluate(test: [], targetLabel: nil) { $0.map(\.label) } }
    }
}
