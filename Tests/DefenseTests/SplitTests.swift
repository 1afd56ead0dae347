import Foundation
import Testing
@testable import Defense

@Suite struct SplitTests {
    static func toy(_ n: Int, positiveEvery: Int = 3) -> Dataset {
        let examples = (0..<n).map { Example(text: "sentence \($0)", label: $0 % positiveEvery == 0 ? 1 : 0) }
        return Dataset(name: "toy", examples: examples, labelNames: ["neg", "pos"], report: DatasetLoadReport(source: "toy"))
    }

    @Test func sameSeedSameSplitDifferentSeedDifferentSplit() throws {
        let d = SplitTests.toy(500)
        let spec = SplitSpec(dataset: "toy", seed: 7, trainSize: 300, cleanPoolSize: 40, testSize: 100, fingerprint: d.fingerprint)
        let a = try spec.apply(to: d), b = try spec.apply(to: d)
        #expect(a.train == b.train && a.cleanPool == b.cleanPool && a.test == b.test)
        // recorded as JSON and read back, the spec rebuilds the same split
        let decoded = try JSONDecoder().decode(SplitSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec)
        #expect(try decoded.apply(to: d).test == a.test)
        var other = spec
        other.seed = 8
        #expect(try other.apply(to: d).test != a.test)
    }

    @Test func partsAreDisjointAndSized() throws {
        let d = SplitTests.toy(500)
        let s = try SplitSpec(dataset: "toy", seed: 1, trainSize: 320, cleanPoolSize: 30, testSize: 150).apply(to: d)
        #expect(s.train.count == 320 && s.cleanPool.count == 30 && s.test.count == 150)
        let train = Set(s.train.map(\.text)), pool = Set(s.cleanPool.map(\.text)), test = Set(s.test.map(\.text))
        #expect(train.count == 320 && pool.count == 30 && test.count == 150)
        #expect(train.isDisjoint(with: pool) && train.isDisjoint(with: test) && pool.isDisjoint(with: test))
    }

    @Test func testAndPoolAreStratifiedAndTestIgnoresTrainSize() throws {
        let d = SplitTests.toy(600)  // 200 positive, 400 negative
        let small = try SplitSpec(dataset: "toy", seed: 3, trainSize: 100, cleanPoolSize: 30, testSize: 150).apply(to: d)
        let large = try SplitSpec(dataset: "toy", seed: 3, trainSize: 400, cleanPoolSize: 30, testSize: 150).apply(to: d)
        #expect(small.test.filter { $0.label == 1 }.count == 50)
        #expect(small.cleanPool.filter { $0.label == 1 }.count == 10)
        #expect(small.test == large.test)
        #expect(small.cleanPool == large.cleanPool)
        // the test set is not grouped by class
        #expect(small.test.prefix(20).contains { $0.label == 1 } && small.test.prefix(20).contains { $0.label == 0 })
    }

    @Test func sizesBeyondTheDataAreAClearError() {
        let d = SplitTests.toy(100)
        #expect(throws: FinemixError("toy: train 80 + clean pool 10 + test 20 = 110 examples requested, but the dataset has 100 (after dropping neutral ratings and duplicates)")) {
            try SplitSpec(dataset: "toy", seed: 1, trainSize: 80, cleanPoolSize: 10, testSize: 20).apply(to: d)
        }
        #expect(throws: FinemixError.self) {
            try SplitSpec(dataset: "toy", seed: 1, trainSize: -1, cleanPoolSize: 10, testSize: 20).apply(to: d)
        }
    }

    @Test func changedDataOrOtherDatasetIsRefused() {
        let d = SplitTests.toy(100)
        let spec = SplitSpec(dataset: "toy", seed: 1, trainSize: 10, cleanPoolSize: 10, testSize: 10, fingerprint: SplitTests.toy(101).fingerprint)
        #expect(throws: FinemixError.self) { try spec.apply(to: d) }
        let wrongName = SplitSpec(dataset: "rt", seed: 1, trainSize: 10, cleanPoolSize: 10, testSize: 10)
        #expect(throws: FinemixError("the split was made for dataset 'rt', not 'toy'")) { try wrongName.apply(to: d) }
    }

    @Test func fillingTrainUsesTheRest() throws {
        let d = SplitTests.toy(100)
        let spec = SplitSpec.fillingTrain(d, seed: 2, cleanPoolSize: 10, testSize: 20)
        #expect(spec.trainSize == 70)
        #expect(try spec.apply(to: d).train.count == 70)
    }

    @Test func realRtSplitOfTheAcceptanceRun() throws {
        let rt = try Datasets.load("rt")
        let s = try SplitSpec(dataset: "rt", seed: 1, trainSize: 3_000, cleanPoolSize: 200, testSize: 1_000).apply(to: rt)
        #expect(Set(s.train.map(\.text)).isDisjoint(with: s.test.map(\.text)))
        let positives = s.test.filter { $0.label == 1 }.count
        let expected = Double(rt.classCounts[1]) / Double(rt.examples.count) * 1000
        #expect(abs(Double(positives) - expected) <= 1)
    }

    @Test func proportionalAllocationSumsExactly() {
        #expect(SplitSpec.proportional(10, [1, 1, 1]) == [1, 1, 1])
        #expect(SplitSpec.proportional(5, [10, 10]) == [3, 2])
        #expect(SplitSpec.proportional(7, [3, 100]).reduce(0, +) == 7)
        #expect(SplitSpec.proportional(4, [1, 3]) == [1, 3])
    }
}
