import Foundation
import Testing
@testable import Defense
import TestSupport

/// peft LoRA adapters over the tiny BERT of Tests/Fixtures/weightfiles, against peft's own
/// merge_and_unload saved beside them (scripts/gen_weightfile_fixtures.py).
@Suite struct LoraTests {
    /// r 4, alpha 8 on query and value, its own classifier; base "../bert" beside the adapter.
    @Test func mergeEqualsPeftsMerge() throws {
        let adapter = try CheckpointFolder(WeightFixtures.url("lora"))
        let merged = try CheckpointFolder(WeightFixtures.url("lora-merged"))
        #expect(adapter.origin == "LoRA r=4, alpha 8 over bert")
        #expect(adapter.adapter?.r == 4)
        #expect(try WeightFixtures.maxDifference(adapter.weights, merged.weights) <= 1e-6)
        // The head is the adapter's (modules_to_save), not the base's.
        let base = try CheckpointFolder(WeightFixtures.url("bert"))
        #expect(try WeightFixtures.floats(adapter.weights, "classifier.weight") != WeightFixtures.floats(base.weights, "classifier.weight"))
        #expect(try WeightFixtures.floats(adapter.weights, "encoder.layer.0.attention.self.key.weight") == WeightFixtures.floats(base.weights, "encoder.layer.0.attention.self.key.weight"))
    }

    /// rsLoRA (alpha/√r) on every dense layer and the word embeddings, saved as adapter_model.bin,
    /// over a base that is a Hub name: the base comes from --pre.
    @Test func rsLoraOverPreEqualsPeftsMerge() throws {
        let url = WeightFixtures.url("lora-rs")
        let m = folderError(url)
        #expect(m == "\(url.path)/adapter_config.json: the base model 'finemix-fixtures/tiny-bert' is not a local model folder; give the pre-trained base model with --pre")
        let adapter = try CheckpointFolder(url, adapterBase: WeightFixtures.url("bert"))
        #expect(adapter.origin == "LoRA r=2, alpha 4 (rsLoRA) over bert")
        let merged = try CheckpointFolder(WeightFixtures.url("lora-rs-merged"))
        #expect(try WeightFixtures.maxDifference(adapter.weights, merged.weights) <= 1e-6)
    }

    /// Adapters over the tiny RoBERTa and DistilBERT of Tests/Fixtures/families, their tensors
    /// named as each family names its layers (`roberta.encoder...`, `distilbert.transformer...q_lin`)
    /// and their heads (RoBERTa's classifier.dense + out_proj, DistilBERT's pre_classifier +
    /// classifier) saved whole: the merge equals peft's merge_and_unload.
    @Test(arguments: ["roberta", "distilbert"])
    func mergeOverANonBertBaseEqualsPeftsMerge(_ family: String) throws {
        let adapter = try CheckpointFolder(WeightFixtures.url("lora-\(family)"))
        let merged = try CheckpointFolder(WeightFixtures.url("lora-\(family)-merged"))
        #expect(adapter.config.family?.rawValue == family && merged.config.family?.rawValue == family)
        #expect(adapter.origin == "LoRA r=4, alpha 8 over \(family)")
        #expect(try WeightFixtures.maxDifference(adapter.weights, merged.weights) <= 1e-6)
        // The adapter moved the adapted layers and both head layers, nothing else.
        let base = try CheckpointFolder(Fixtures.folder("families").appendingPathComponent(family))
        let changed = try base.weights.tensorNames.filter {
            try WeightFixtures.floats(base.weights, $0) != WeightFixtures.floats(adapter.weights, $0)
        }
        let adapted = family == "roberta"
            ? ["attention.self.query", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"]
            : ["attention.self.query", "attention.self.value", "intermediate.dense"]
        let expected = ["classifier.bias", "classifier.weight", "pooler.dense.bias", "pooler.dense.weight"]
            + (0..<2).flatMap { l in adapted.map { "encoder.layer.\(l).\($0).weight" } }
        #expect(changed.sorted() == expected.sorted())
    }

    /// Every file the merged model came from, for the journal's input fingerprints.
    @Test func filesNameTheAdapterAndItsBase() throws {
        let names = try CheckpointFolder(WeightFixtures.url("lora")).weights.files.map { $0.pathComponents.suffix(2).joined(separator: "/") }
        #expect(names == ["lora/adapter_config.json", "lora/adapter_model.safetensors", "bert/model.safetensors"])
    }

    /// Drift of the merged adapter against its base: exactly the adapted and replaced tensors moved.
    @Test func driftSeesOnlyWhatTheAdapterChanged() throws {
        let base = try CheckpointFolder(WeightFixtures.url("bert")), adapter = try CheckpointFolder(WeightFixtures.url("lora"))
        let changed = try base.weights.tensorNames.filter {
            try WeightFixtures.floats(base.weights, $0) != WeightFixtures.floats(adapter.weights, $0)
        }
        #expect(changed == ["classifier.bias", "classifier.weight"]
                + (0..<2).flatMap { ["encoder.layer.\($0).attention.self.query.weight", "encoder.layer.\($0).attention.self.value.weight"] }.sorted())
    }

    func edited(_ edit: (inout [String: Any]) -> Void) throws -> (URL, TempDir) {
        let dir = TempDir()
        let folder = try WeightFixtures.copy("lora", to: dir)
        try FileManager.default.copyItem(at: WeightFixtures.url("bert"), to: dir.url.appendingPathComponent("bert"))
        let url = folder.appendingPathComponent("adapter_config.json")
        var c = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&c)
        try JSONSerialization.data(withJSONObject: c).write(to: url)
        return (folder, dir)
    }

    @Test func doraAndOtherAdaptersAreRefusedByName() throws {
        var (folder, dir) = try edited { $0["use_dora"] = true }
        #expect(folderError(folder) == "\(folder.path)/adapter_config.json: use_dora is set (a DoRA adapter); finemix merges plain LoRA adapters only")
        (folder, dir) = try edited { $0["peft_type"] = "IA3" }
        #expect(folderError(folder) == "\(folder.path)/adapter_config.json: peft_type 'IA3' is not LoRA; finemix merges LoRA adapters only")
        (folder, dir) = try edited { $0["rank_pattern"] = ["query": 8] }
        #expect(folderError(folder).contains("rank_pattern gives some layers their own rank"))
        _ = dir
    }

    @Test func aRankOtherThanTheConfigsIsRefused() throws {
        let (folder, dir) = try edited { $0["r"] = 8 }
        #expect(folderError(folder).contains("lora_A [4, 16] and lora_B [16, 4], but r=8 (adapter_config.json)"))
        _ = dir
    }

    /// Scale alpha/r applied: doubling lora_alpha doubles the change from the base.
    @Test func alphaScalesTheChange() throws {
        let (folder, dir) = try edited { $0["lora_alpha"] = 16 }
        let base = try CheckpointFolder(dir.url.appendingPathComponent("bert")), once = try CheckpointFolder(WeightFixtures.url("lora"))
        let twice = try CheckpointFolder(folder)
        let name = "encoder.layer.1.attention.self.value.weight"
        let w = try WeightFixtures.floats(base.weights, name), a = try WeightFixtures.floats(once.weights, name), b = try WeightFixtures.floats(twice.weights, name)
        for i in w.indices { #expect(abs((b[i] - w[i]) - 2 * (a[i] - w[i])) <= 1e-5) }
    }
}
