import Foundation
import Testing
@testable import Defense

/// The real all-MiniLM-L6-v2 with a seeded 2-label head against HuggingFace's
/// `BertForSequenceClassification` in eval mode: 50 RT sentences and 16 pairs, in padded batches
/// of 8 as the generator ran them (scripts/gen_engine_fixtures.py).
@Suite struct BertParityTests {
    @Test func minilmLogitsMatchHuggingFace() throws {
        let f = try EngineTest.json("minilm_logits.json")
        let folder = try CheckpointFolder(try ResourceCache().minilm())
        let (model, hasHead) = try BertModel.load(folder)
        #expect(!hasHead)
        let head = f["head"] as! [String: Any]
        _ = model.params.view("classifier.weight")!.update(fromContentsOf: EngineTest.floats(head["classifier.weight"]))
        _ = model.params.view("classifier.bias")!.update(fromContentsOf: EngineTest.floats(head["classifier.bias"]))
        let cases = f["cases"] as! [[String: Any]]
        #expect(cases.count >= 50)
        let predictor = try Predictor(model: model, maxBatch: 8, maxSeq: 128)
        let seqs = cases.map { c in
            (ids: EngineTest.ints(c["ids"]).map(Int32.init), typeIds: EngineTest.ints(c["type_ids"]).map(Int32.init))
        }
        #expect(seqs.contains { $0.typeIds.contains(1) })  // pairs are in there
        let logits = try predictor.logits(seqs)
        var worst: Float = 0
        for (c, got) in zip(cases, logits) {
            let want = EngineTest.floats(c["logits"])
            for (a, b) in zip(got, want) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }
}
