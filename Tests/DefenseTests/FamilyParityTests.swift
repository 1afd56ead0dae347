import Foundation
import Testing
import TestSupport
@testable import Defense

/// Tiny random classifiers of every family (hidden 16, 2 layers, 4 heads, vocab 40, 3 labels),
/// saved by transformers' `save_pretrained`, against PyTorch: eval-mode logits on a padded batch
/// (lengths 7, 5, 3), the loss and every parameter's gradient. Each family carries one hidden_act:
/// bert gelu_new, roberta gelu, xlm-roberta relu, distilbert gelu, electra gelu with
/// embedding_size 8 ≠ hidden 16. Fixtures: scripts/gen_family_fixtures.py (PyTorch in float64).
@Suite struct FamilyParityTests {
    static let families = ["bert", "roberta", "xlm-roberta", "distilbert", "electra"]

    static var root: URL { Fixtures.folder("families") }

    struct Case {
        let folder: CheckpointFolder
        let model: BertModel
        let batch: Batch
        let reference: [String: Any]
    }

    static func load(_ name: String) throws -> Case {
        let url = root.appendingPathComponent(name)
        let folder = try CheckpointFolder(url)
        let (model, hasHead) = try BertModel.load(folder)
        #expect(hasHead, "\(name): the classifier head should load")
        let f = try JSONSerialization.jsonObject(with: Data(contentsOf: url.appendingPathComponent("reference.json"))) as! [String: Any]
        let batch = Batch(batch: f["batch"] as! Int, seq: f["seq"] as! Int,
                          ids: EngineTest.ints(f["ids"]).map(Int32.init), typeIds: EngineTest.ints(f["type_ids"]).map(Int32.init),
                          lengths: EngineTest.ints(f["lengths"]), labels: EngineTest.ints(f["labels"]).map(Int32.init))
        return Case(folder: folder, model: model, batch: batch, reference: f)
    }

    @Test(arguments: families)
    func logitsLossAndEveryGradientMatchPyTorch(_ name: String) throws {
        let t = try Self.load(name)
        #expect(t.folder.config.modelType == name)
        let acts = try Activations(config: t.model.config, maxBatch: 4, maxSeq: 8, training: true)
        let logits = try t.model.forward(t.batch, acts)
        let expected = EngineTest.floats(t.reference["logits"])
        let got = Array(UnsafeBufferPointer(start: logits, count: expected.count))
        let logitErr = zip(got, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(logitErr <= 1e-4, "\(name): logits \(got) vs \(expected)")
        let loss = try t.model.loss(t.batch, acts, gradient: true)
        #expect(abs(loss - (t.reference["loss"] as! NSNumber).floatValue) < 1e-5, "\(name): loss")
        t.model.ensureGradients().zero()
        try t.model.backward(t.batch, acts)

        // the reference gradients are stored under transformers' names: the family maps them
        let grads = try SafetensorsFile(Self.root.appendingPathComponent(name).appendingPathComponent("grads.safetensors"),
                                        family: t.model.layout.family)
        #expect(Set(grads.tensorNames) == Set(t.model.layout.tensors.map(\.name)), "\(name): the same parameters as transformers")
        let g = t.model.grads!
        for info in t.model.layout.tensors {
            var want = [Float](repeating: 0, count: info.count)
            try want.withUnsafeMutableBufferPointer { try grads.readFloats(info.name, into: $0) }
            let have = Array(UnsafeBufferPointer(start: g[info.offset], count: info.count))
            let scale = want.map(abs).max() ?? 0
            let err = zip(have, want).map { abs($0 - $1) }.max() ?? 0
            #expect(err <= 1e-4 * scale + 1e-7, "\(name) \(info.name): max error \(err), largest gradient \(scale)")
        }
    }

    /// Saved and loaded again: the same tensors under the same transformers names, and a config
    /// in the family's own keys, so that its `*ForSequenceClassification.from_pretrained` reads it.
    @Test(arguments: families)
    func saveWritesTheFamilysOwnFormat(_ name: String) throws {
        let t = try Self.load(name)
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("saved")
        try CheckpointFolder.save(config: t.folder.config, vocab: t.folder.vocabURL, tensors: t.model.params.export(), to: out)
        let original = try SafetensorsFile(t.folder.weightsURL, family: .bert)  // .bert: names as stored
        let saved = try SafetensorsFile(out.appendingPathComponent("model.safetensors"), family: .bert)
        let unused = name == "bert" ? [] : original.entries.values.map(\.storedName).filter { t.model.layout.family.canonical($0) == nil }
        #expect(Set(saved.entries.values.map(\.storedName)) == Set(original.entries.values.map(\.storedName)).subtracting(unused))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        let was = try JSONSerialization.jsonObject(with: Data(contentsOf: t.folder.configURL)) as! [String: Any]
        #expect(json["model_type"] as? String == name)
        #expect(json["architectures"] as? [String] == was["architectures"] as? [String])
        let keys = name == "distilbert" ? ["dim", "n_layers", "n_heads", "hidden_dim", "activation", "max_position_embeddings"]
                                        : ["hidden_size", "num_hidden_layers", "intermediate_size", "hidden_act", "type_vocab_size", "layer_norm_eps"]
        for k in keys + ["vocab_size", "pad_token_id"] + (name == "electra" ? ["embedding_size"] : []) {
            #expect("\(json[k] ?? "missing")" == "\(was[k] ?? "absent")", "\(name): \(k)")
        }
        let again = try CheckpointFolder(out)
        #expect(again.config == t.folder.config)
    }

    @Test func anUnsupportedModelTypeIsRefusedNamingItAndTheFamilies() throws {
        let dir = TempDir()
        let url = try dir.file("config.json", Data(#"{"model_type": "gpt2", "vocab_size": 50, "n_embd": 16}"#.utf8))
        do {
            _ = try CheckpointFolder.loadConfig(url)
            Issue.record("gpt2 should be refused")
        } catch let e as FinemixError {
            #expect(e.message.contains("model_type 'gpt2'"), "\(e.message)")
            #expect(e.message.contains("bert, roberta, xlm-roberta, distilbert, electra"), "\(e.message)")
        }
    }

    @Test func anUnsupportedActivationIsRefusedNamingIt() throws {
        let dir = TempDir()
        for (json, key) in [(#"{"model_type": "bert", "hidden_act": "silu"}"#, "hidden_act 'silu'"),
                            (#"{"model_type": "distilbert", "activation": "swish"}"#, "activation 'swish'"),
                            (#"{"model_type": "distilbert", "sinusoidal_pos_embds": true}"#, "sinusoidal_pos_embds")] {
            let url = try dir.file("config.json", Data(json.utf8))
            do {
                _ = try CheckpointFolder.loadConfig(url)
                Issue.record("\(json) should be refused")
            } catch let e as FinemixError {
                #expect(e.message.contains(key), "\(e.message)")
            }
        }
    }

    /// The defaults of each transformers config class, for a config.json that leaves them out.
    @Test func familyDefaultsAreTransformers() throws {
        let dir = TempDir()
        func config(_ json: String) throws -> BertConfig { try CheckpointFolder.loadConfig(dir.file("config.json", Data(json.utf8))) }
        let r = try config(#"{"architectures": ["RobertaForSequenceClassification"]}"#)
        #expect(r.family == .roberta && r.padTokenId == 1 && r.maxSequenceLength == 510)
        let d = try config(#"{"model_type": "distilbert", "dim": 32, "n_heads": 4}"#)
        #expect(d.hiddenSize == 32 && d.intermediateSize == 3072 && d.numHiddenLayers == 6 && d.headDropout == 0.2 && d.hiddenAct == "gelu")
        let e = try config(#"{"model_type": "electra"}"#)
        #expect(e.embeddingWidth == 128 && e.hiddenSize == 256 && e.numAttentionHeads == 4 && e.intermediateSize == 1024)
        let b = try config(#"{}"#)
        #expect(b.family == .bert && b.embeddingSize == nil && b.classifierDropout == nil)
    }

    /// RoBERTa's positions: padding_idx + 1, + 2, ... for real tokens, padding_idx for pads.
    @Test func robertaPositionsStartPastThePaddingIndex() {
        let ids: [Int32] = [0, 7, 1, 9, 1, 1]
        var pos = [Int](repeating: -1, count: ids.count)
        pos.withUnsafeMutableBufferPointer { p in
            ids.withUnsafeBufferPointer { Embeddings.positions(p.baseAddress!, ids: $0.baseAddress!, seq: 6, pastPadding: true, pad: 1) }
        }
        #expect(pos == [2, 3, 1, 4, 1, 1])
    }

    @Test func checkpointsOfTwoFamiliesAreNotCompared() throws {
        let bert = try CheckpointFolder(Self.root.appendingPathComponent("bert"))
        let roberta = try CheckpointFolder(Self.root.appendingPathComponent("roberta"))
        do {
            try CheckpointFolder.checkSameVocabulary(pre: bert, victim: roberta)
            Issue.record("a BERT and a RoBERTa should not be compared")
        } catch let e as FinemixError {
            #expect(e.message.hasPrefix("different model families:"), "\(e.message)")
            #expect(e.message.contains("is bert") && e.message.contains("is roberta"), "\(e.message)")
        }
    }
}
