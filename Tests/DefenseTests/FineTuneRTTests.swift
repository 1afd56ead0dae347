import Foundation
import Testing
@testable import Defense

/// The engine end to end: the real all-MiniLM-L6-v2 with a fresh head, fine-tuned on 2,000 RT
/// sentences for 2 epochs, classifies 1,000 other RT sentences at ≥ 80%.
@Suite struct FineTuneRTTests {
    @Test func minilmLearnsRottenTomatoes() throws {
        let data = try Datasets.load("rt")
        let split = try SplitSpec(dataset: "rt", seed: 11, trainSize: 2000, cleanPoolSize: 0, testSize: 1000).apply(to: data)
        let folder = try CheckpointFolder(try ResourceCache().minilm())
        var (model, _) = try BertModel.load(folder, headSeed: 3)
        if model.config.numLabels != data.numLabels {
            var c = folder.config
            c.setLabels(data.numLabels)
            let p = BertParameters(config: c)
            try p.load(from: folder.weights)
            p.initialiseClassifier(seed: 3)
            model = BertModel(params: p)
        }
        let tok = try Tokenizer(vocabURL: folder.vocabURL)
        func encode(_ e: Example) -> (ids: [Int32], typeIds: [Int32]) {
            let x = e.pair.map { tok.encode(e.text, $0, maxLength: 64) } ?? tok.encode(e.text, maxLength: 64)
            return (x.ids, x.typeIds)
        }
        let train = split.train.map(encode), trainLabels = split.train.map { Int32($0.label) }
        let batchSize = 16, epochs = 2
        let stepsPerEpoch = (train.count + batchSize - 1) / batchSize
        let settings = TrainingSettings(
            schedule: LinearSchedule(baseRate: 1e-4, warmupSteps: stepsPerEpoch * epochs / 10, totalSteps: stepsPerEpoch * epochs),
            seed: 5)
        let trainer = try Trainer(model: model, settings: settings, maxBatch: batchSize, maxSeq: 64)
        var rng = SeededRandom(seed: 9, stream: "shuffle")
        var lastLosses: [Float] = []
        for _ in 0..<epochs {
            let order = rng.shuffled(Array(train.indices))
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let idx = order[start..<min(order.count, start + batchSize)]
                let batch = Batch(sequences: idx.map { train[$0] }, labels: idx.map { trainLabels[$0] })
                lastLosses.append(try trainer.step(batch).loss)
            }
        }
        let predictor = try Predictor(model: model, maxBatch: 64, maxSeq: 64)
        let logits = try predictor.logits(split.test.map(encode))
        let correct = zip(logits, split.test).filter { row, e in row.indices.max { row[$0] < row[$1] } == e.label }.count
        let accuracy = Double(correct) / Double(split.test.count)
        let tail = lastLosses.suffix(20).reduce(0, +) / 20
        #expect(accuracy >= 0.80, "accuracy \(accuracy) on \(split.test.count) sentences; final loss \(tail)")
    }
}
