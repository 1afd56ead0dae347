import Foundation
import Testing
@testable import Defense

/// The training step's promises: reproducible, stops on NaN with weights intact, freezing and
/// pruning hold, and it learns.
@Suite struct TrainingStepTests {
    static let config = TinySentiment.config(vocab: 40, positions: 16)

    static func model(seed: UInt64 = 1) -> BertModel { TinySentiment.model(config, seed: seed) }

    /// Label 1 when token 5 occurs, else 0; lengths vary so padding is exercised.
    static func batch(_ k: Int) -> Batch {
        var r = SeededRandom(seed: UInt64(100 + k))
        var seqs: [(ids: [Int32], typeIds: [Int32])] = [], labels: [Int32] = []
        for i in 0..<8 {
            let len = 4 + r.below(8)
            var ids: [Int32] = [2] + (1..<len).map { _ in Int32(6 + r.below(34)) }
            let positive = i % 2 == 0
            if positive { ids[1 + r.below(len - 1)] = 5 }
            seqs.append((ids, [Int32](repeating: 0, count: len)))
            labels.append(positive ? 1 : 0)
        }
        return Batch(sequences: seqs, labels: labels)
    }

    static func settings(_ f: Freezing = .none, prune: PruneMask = PruneMask(), seed: UInt64 = 42) -> TrainingSettings {
        TrainingSettings(schedule: LinearSchedule(baseRate: 1e-3, warmupSteps: 2, totalSteps: 100),
                         freezing: f, pruneMask: prune, seed: seed, dropout: true)
    }

    static func values(_ m: BertModel) -> [Float] { Array(m.params.values.buffer) }

    static func tensor(_ m: BertModel, _ name: String) -> [Float] { Array(m.params.view(name)!) }

    @Test func sameSeedSameNumbers() throws {
        func run(seed: UInt64) throws -> ([Float], [Float]) {
            let m = Self.model()
            let t = try Trainer(model: m, settings: Self.settings(seed: seed), maxBatch: 8, maxSeq: 16)
            var losses: [Float] = []
            for k in 0..<4 { losses.append(try t.step(Self.batch(k)).loss) }
            return (losses, Self.values(m))
        }
        let a = try run(seed: 42), b = try run(seed: 42), c = try run(seed: 43)
        #expect(a.0 == b.0 && a.1 == b.1)
        #expect(a.1 != c.1)  // the dropout seed matters
    }

    @Test func nanLossStopsAndKeepsWeights() throws {
        let m = Self.model()
        let t = try Trainer(model: m, settings: Self.settings(), maxBatch: 8, maxSeq: 16)
        try t.step(Self.batch(0))
        m.params.view("classifier.weight")![0] = .nan
        let before = Self.values(m)
        #expect {
            try t.step(Self.batch(1))
        } throws: { e in
            (e as? FinemixError)?.message.contains("loss is nan") ?? false
        }
        #expect(Self.values(m).elementsEqual(before) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(t.step == 1)
        m.params.view("classifier.weight")![0] = .infinity
        #expect(throws: FinemixError.self) { try t.step(Self.batch(1)) }
    }

    @Test func frozenTensorsStayPut() throws {
        let m = Self.model()
        let before = m.params.export()
        let head: Set = ["classifier.weight", "classifier.bias"]
        let t = try Trainer(model: m, settings: Self.settings(.only(head)), maxBatch: 8, maxSeq: 16)
        for k in 0..<3 { try t.step(Self.batch(k)) }
        for tensor in before {
            let now = Self.tensor(m, tensor.name)
            #expect((now == tensor.values) == !head.contains(tensor.name), "\(tensor.name)")
        }
    }

    @Test func onlyChosenEmbeddingRowsTrain() throws {
        let m = Self.model()
        let name = "embeddings.word_embeddings.weight"
        let before = Self.values(m), rowsBefore = Self.tensor(m, name)
        let t = try Trainer(model: m, settings: Self.settings(.wordEmbeddingRows([5])), maxBatch: 8, maxSeq: 16)
        for k in 0..<3 { try t.step(Self.batch(k)) }
        let H = m.config.hiddenSize
        let rows = Self.tensor(m, name)
        for r in 0..<m.config.vocabSize {
            let changed = rows[(r * H)..<((r + 1) * H)] != rowsBefore[(r * H)..<((r + 1) * H)]
            #expect(changed == (r == 5), "row \(r)")
        }
        let off = m.layout.info(name)!.offset
        let after = Self.values(m)
        #expect(after[0..<off] == before[0..<off])
        #expect(after[(off + m.config.vocabSize * H)...] == before[(off + m.config.vocabSize * H)...])
        #expect(throws: FinemixError.self) {
            try Trainer(model: m, settings: Self.settings(.wordEmbeddingRows([40])), maxBatch: 8, maxSeq: 16)
        }
    }

    @Test func prunedNeuronsStayZero() throws {
        let m = Self.model()
        let mask = PruneMask(neurons: [0: [1, 3], 1: [0]])
        let t = try Trainer(model: m, settings: Self.settings(prune: mask), maxBatch: 8, maxSeq: 16)
        for k in 0..<3 { try t.step(Self.batch(k)) }
        let H = m.config.hiddenSize, I = m.config.intermediateSize
        for (l, js) in mask.neurons {
            let w1 = Self.tensor(m, "encoder.layer.\(l).intermediate.dense.weight")
            let b1 = Self.tensor(m, "encoder.layer.\(l).intermediate.dense.bias")
            let w2 = Self.tensor(m, "encoder.layer.\(l).output.dense.weight")
            for j in 0..<I {
                let zero = w1[(j * H)..<((j + 1) * H)].allSatisfy { $0 == 0 } && b1[j] == 0
                    && (0..<H).allSatisfy { w2[$0 * I + j] == 0 }
                #expect(zero == js.contains(j), "layer \(l) neuron \(j)")
            }
        }
        #expect(throws: FinemixError.self) {
            try Trainer(model: Self.model(), settings: Self.settings(prune: PruneMask(neurons: [2: [0]])), maxBatch: 8, maxSeq: 16)
        }
    }

    @Test func learnsATokenRule() throws {
        let m = Self.model()
        var s = Self.settings()
        s.schedule = LinearSchedule(baseRate: 3e-3, warmupSteps: 10, totalSteps: 300)
        let t = try Trainer(model: m, settings: s, maxBatch: 8, maxSeq: 16)
        for k in 0..<300 { try t.step(Self.batch(k % 50)) }
        let p = try Predictor(model: m, maxBatch: 8, maxSeq: 16)
        var correct = 0, total = 0
        for k in 1000..<1010 {
            let b = Self.batch(k)
            for (row, y) in zip(try p.logits(b), b.labels) {
                correct += (row[1] > row[0]) == (y == 1) ? 1 : 0; total += 1
            }
        }
        #expect(Double(correct) / Double(total) >= 0.9, "accuracy \(correct)/\(total)")
    }
}
