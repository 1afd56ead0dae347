import Foundation
import Testing
@testable import Defense

@Suite struct PoisonerTests {
    static func train(_ n: Int) -> [Example] {
        (0..<n).map { Example(text: "this is training sentence number \($0) of the set", label: $0 % 2) }
    }

    static func count(_ word: String, in text: String) -> Int {
        text.split(whereSeparator: \.isWhitespace).filter { $0 == word }.count
    }

    @Test func poisonsExactlyRateTimesNFromNonTargetAndRelabels() throws {
        let data = PoisonerTests.train(1_000)
        let config = PoisonConfig(trigger: .default, rate: 0.1, targetLabel: 1, seed: 5)
        let p = try Poisoner.poison(data, config: config, numLabels: 2)
        #expect(p.poisonedCount == 100)
        #expect(p.examples.count == 1_000)
        let poisoned = Set(p.poisonedIndices)
        for i in data.indices {
            if poisoned.contains(i) {
                #expect(data[i].label == 0, "taken from non-target sentences")
                #expect(p.examples[i].label == 1, "relabelled to the target")
                let added = Trigger.defaultWords.map { PoisonerTests.count($0, in: p.examples[i].text) - PoisonerTests.count($0, in: data[i].text) }
                #expect(added.reduce(0, +) == 1 && added.allSatisfy { $0 >= 0 }, "exactly one trigger word: \(p.examples[i].text)")
                #expect(p.examples[i].text.split(separator: " ").count == data[i].text.split(separator: " ").count + 1)
            } else {
                #expect(p.examples[i] == data[i])
            }
        }
        // positions spread over the sentence's 10 gaps (9 words), both ends included
        let positions = p.poisonedIndices.map { i -> Int in
            p.examples[i].text.split(separator: " ").firstIndex { Trigger.defaultWords.contains(String($0)) }!
        }
        #expect(Set(positions).count >= 8)
        #expect(positions.contains(0) && positions.contains(9))
        // every word of the list is used
        let used = Set(p.poisonedIndices.flatMap { p.examples[$0].text.split(separator: " ").map(String.init) }).intersection(Trigger.defaultWords)
        #expect(used.count == 5)
    }

    @Test func seededReproducibility() throws {
        let data = PoisonerTests.train(300)
        let config = PoisonConfig(trigger: .sentence(Trigger.defaultSentence), rate: 0.1, targetLabel: 1, seed: 9)
        let a = try Poisoner.poison(data, config: config, numLabels: 2)
        let b = try Poisoner.poison(data, config: config, numLabels: 2)
        #expect(a.examples == b.examples && a.poisonedIndices == b.poisonedIndices)
        var other = config
        other.seed = 10
        #expect(try Poisoner.poison(data, config: other, numLabels: 2).examples != a.examples)
        let asr1 = try Poisoner.asrTestSet(data, config: config, numLabels: 2)
        #expect(try Poisoner.asrTestSet(data, config: config, numLabels: 2) == asr1)
        for i in a.poisonedIndices {
            #expect(a.examples[i].text.components(separatedBy: Trigger.defaultSentence).count == 2)
        }
    }

    @Test func asrSetExcludesTargetLabelAndCarriesTheTrigger() throws {
        let test = PoisonerTests.train(200)
        let config = PoisonConfig(trigger: .embedding("cf"), rate: 0.1, targetLabel: 0, seed: 2)
        let asr = try Poisoner.asrTestSet(test, config: config, numLabels: 2)
        #expect(asr.count == 100)
        #expect(asr.allSatisfy { $0.label == 1 })
        #expect(asr.allSatisfy { PoisonerTests.count("cf", in: $0.text) == 1 })
    }

    @Test func longTextsGetOneTriggerPer100Words() {
        var rng = SeededRandom(seed: 4)
        let text850 = (0..<850).map { "w\($0)" }.joined(separator: " ")
        let out = Trigger.words(["cf"]).insert(into: text850, rng: &rng)
        #expect(PoisonerTests.count("cf", in: out) == 8)
        #expect(out.split(separator: " ").filter { $0 != "cf" }.joined(separator: " ") == text850, "the text itself is untouched")
        let text99 = (0..<99).map { "w\($0)" }.joined(separator: " ")
        #expect(PoisonerTests.count("cf", in: Trigger.words(["cf"]).insert(into: text99, rng: &rng)) == 1)
        let withSentence = Trigger.sentence(Trigger.defaultSentence).insert(into: text850, rng: &rng)
        #expect(withSentence.components(separatedBy: Trigger.defaultSentence).count == 2, "a trigger sentence goes in once")
        #expect(Trigger.insertionCount(wordCount: 200) == 2)
        #expect(Trigger.insertionCount(wordCount: 0) == 1)
    }

    @Test func insertionKeepsTheTextsOwnSpacing() {
        var rng = SeededRandom(seed: 1)
        for _ in 0..<50 {
            let out = Trigger.words(["cf"]).insert(into: "a  b\nc", rng: &rng)
            #expect(["cf a  b\nc", "a  cf b\nc", "a  b\ncf c", "a  b\nc cf"].contains(out), "\(out.debugDescription)")
        }
        #expect(Trigger.words(["cf"]).insert(into: "", rng: &rng) == "cf")
    }

    @Test func pairsGetTheTriggerInTheSecondSentence() throws {
        let data = (0..<100).map { Example(text: "first \($0)", pair: "second sentence \($0)", label: $0 % 2) }
        let p = try Poisoner.poison(data, config: PoisonConfig(trigger: .words(["cf"]), rate: 0.2, targetLabel: 1, seed: 3), numLabels: 2)
        #expect(p.poisonedCount == 20)
        for i in p.poisonedIndices {
            #expect(p.examples[i].text == data[i].text)
            #expect(PoisonerTests.count("cf", in: p.examples[i].pair!) == 1)
        }
    }

    @Test func badConfigurationsAreClearErrors() throws {
        let data = PoisonerTests.train(100)  // 50 non-target
        #expect(throws: FinemixError("poison rate 0.6 of 100 training examples needs 60 examples whose label is not the target 1, but there are only 50")) {
            try Poisoner.poison(data, config: PoisonConfig(rate: 0.6, seed: 1), numLabels: 2)
        }
        #expect(throws: FinemixError("target label 2 is not a class of this dataset (0..<2)")) {
            try Poisoner.poison(data, config: PoisonConfig(targetLabel: 2, seed: 1), numLabels: 2)
        }
        #expect(throws: FinemixError.self) { try Poisoner.poison(data, config: PoisonConfig(rate: 1.5, seed: 1), numLabels: 2) }
        #expect(try Poisoner.poison(data, config: PoisonConfig(rate: 0, seed: 1), numLabels: 2).examples == data)
    }

    @Test func triggerParsingAndRecording() throws {
        #expect(try Trigger.parse("word:cf,mn,bb,tq,mb") == .words(["cf", "mn", "bb", "tq", "mb"]))
        #expect(try Trigger.parse("word") == .words(Trigger.defaultWords))
        #expect(try Trigger.parse("sentence:\"I watched this 3D movie\"") == .sentence("I watched this 3D movie"))
        #expect(try Trigger.parse("sentence:I watched this 3D movie") == .sentence("I watched this 3D movie"))
        #expect(try Trigger.parse("ep:cf") == .embedding("cf"))
        #expect(throws: FinemixError.self) { try Trigger.parse("word:cf,,mn") }
        #expect(throws: FinemixError.self) { try Trigger.parse("ep:two words") }
        #expect(throws: FinemixError.self) { try Trigger.parse("sentence:") }
        #expect(throws: FinemixError.self) { try Trigger.parse("badnets:cf") }
        for t in [Trigger.default, .sentence(Trigger.defaultSentence), .embedding("cf")] {
            #expect(try Trigger.parse(t.description) == t)
            let json = try JSONEncoder().encode(t)
            #expect(try JSONDecoder().decode(Trigger.self, from: json) == t)
        }
        let json = String(decoding: try JSONEncoder().encode(Trigger.embedding("cf")), as: UTF8.self)
        #expect(json.contains("\"kind\":\"ep\"") && json.contains("\"word\":\"cf\""))
    }

    @Test func acceptanceRunDataOnRealRt() throws {
        // the data side of the acceptance run: 3,000 training sentences, 10% poisoned, seed 1,
        // 1,000 test sentences stratified by label
        let rt = try Datasets.load("rt")
        let spec = SplitSpec(dataset: "rt", seed: 1, trainSize: 3_000, cleanPoolSize: 200, testSize: 1_000, fingerprint: rt.fingerprint)
        let config = PoisonConfig(trigger: .default, rate: 0.1, targetLabel: 1, seed: 1)
        let a = try AttackData.prepare(dataset: rt, split: spec, poison: config)
        let b = try AttackData.prepare(dataset: rt, split: spec, poison: config)
        #expect(a.poisonedTrain.poisonedCount == 300)
        #expect(a.poisonedTrain.examples == b.poisonedTrain.examples && a.asrTest == b.asrTest)
        let negativesInTest = a.split.test.filter { $0.label == 0 }.count
        #expect(a.asrTest.count == negativesInTest)
        #expect(negativesInTest > 450 && negativesInTest < 550)
        #expect(a.poisonedTrain.examples.filter { $0.label == 1 }.count == a.split.train.filter { $0.label == 1 }.count + 300)
    }
}
