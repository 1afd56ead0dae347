import Foundation
import Testing
import TestSupport
@testable import Defense

/// Each family's classification head as a whole: BERT's is `classifier` on the pre-trained pooler,
/// RoBERTa, XLM-R and ELECTRA's is `classifier.dense` + `out_proj`, DistilBERT's `pre_classifier`
/// + `classifier` (the engine's pooler slot holds their dense layer). An attack starts that whole
/// head fresh and `--head reinit` draws all of it afresh (fixtures: Tests/Fixtures/families,
/// Tests/Fixtures/weightfiles/lora-roberta).
@Suite struct FamilyHeadTests {
    static func fixture(_ name: String) throws -> CheckpointFolder {
        try CheckpointFolder(Fixtures.folder("families").appendingPathComponent(name))
    }

    @Test(arguments: FamilyParityTests.families)
    func anAttackStartsTheFamilysWholeHeadFresh(_ name: String) throws {
        let folder = try Self.fixture(name)
        let model = try VictimTraining.pretrainedWithFreshHead(folder, numLabels: 2, headSeed: 3)
        let dense = model.params.export().first { $0.name == "pooler.dense.weight" }!.values
        let stored = try WeightFixtures.floats(folder.weights, "pooler.dense.weight")
        // BERT's pooler is pre-trained (BertModel has it); the others' dense layer is the old task's head.
        #expect((dense == stored) == (name == "bert"), "\(name)")
        let key = "encoder.layer.1.output.dense.weight"
        #expect(model.params.export().first { $0.name == key }!.values == (try WeightFixtures.floats(folder.weights, key)))
    }

    @Test func headReinitDrawsRobertasDenseLayerToo() throws {
        let pre = try Self.fixture("roberta").weights
        let victim = try CheckpointFolder(WeightFixtures.url("lora-roberta")).weights
        let spec = MixSpec(rho: 0.3, seed: 1, head: .reinit)
        let mix = try MixedWeights(pre: pre, victim: victim, spec: spec, family: .roberta)
        for name in ["pooler.dense.bias", "classifier.bias"] {
            #expect(try WeightFixtures.floats(mix, name).allSatisfy { $0 == 0 }, "\(name)")
        }
        for name in ["pooler.dense.weight", "classifier.weight"] {
            let w = try WeightFixtures.floats(mix, name)
            let fromVictim = try WeightFixtures.floats(victim, name), fromPre = try WeightFixtures.floats(pre, name)
            #expect(w != fromVictim && w != fromPre, "\(name)")
            #expect(w.allSatisfy { abs($0) < 0.02 * 6 } && w.contains { $0 != 0 }, "\(name): not N(0, 0.02)")
        }
        // BERT's pooler is part of the encoder: mixed like it, never redrawn.
        let bert = try MixedWeights(pre: pre, victim: victim, spec: spec, family: .bert)
        let keep = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 1), family: .roberta)
        let mixedPooler = try WeightFixtures.floats(bert, "pooler.dense.weight")
        #expect(mixedPooler == (try WeightFixtures.floats(keep, "pooler.dense.weight")))
    }

    /// A victim with 2 labels over a pre-trained classifier with 3: the head is the victim's own, not an error.
    @Test func aPreTrainedHeadOfAnotherLabelCountIsNotMixed() throws {
        let pre = try Self.fixture("roberta")
        let model = try VictimTraining.pretrainedWithFreshHead(pre, numLabels: 2, headSeed: 3)
        let victim = TensorDictionary(model.params.export())
        let mix = try MixedWeights(pre: pre.weights, victim: victim, spec: MixSpec(rho: 0), family: .roberta)
        let head = try WeightFixtures.floats(mix, "classifier.weight")
        #expect(head == (try WeightFixtures.floats(victim, "classifier.weight")))
        #expect(try mix.summary().victimOnly == ["classifier.bias", "classifier.weight"])
    }
}
