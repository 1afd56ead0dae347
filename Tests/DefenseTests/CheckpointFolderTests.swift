import Foundation
import Testing
@testable import Defense

enum TinyModel {
    static var config: BertConfig {
        var c = BertConfig()
        c.vocabSize = 12; c.hiddenSize = 4; c.numHiddenLayers = 2; c.numAttentionHeads = 2
        c.intermediateSize = 8; c.maxPositionEmbeddings = 16
        return c
    }

    /// Every BERT tensor of `config`, filled from SyntheticWeights.
    static func tensors(_ c: BertConfig = config, head: Bool, seed: UInt64 = 1) throws -> [NamedTensor] {
        let w = try SyntheticWeights(config: c, seed: seed, withHead: head)
        return try w.tensorNames.map { name in
            let shape = w.shape(of: name)!
            var v = [Float](repeating: 0, count: shape.reduce(1, *))
            try v.withUnsafeMutableBufferPointer { try w.readFloats(name, into: $0) }
            return NamedTensor(name: name, shape: shape, values: v)
        }
    }

    static func vocab(in dir: TempDir, count: Int = 12) throws -> URL {
        let lines = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (5..<count).map { "tok\($0)" }
        return try dir.file("source-vocab.txt", Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

func folderError(_ url: URL) -> String {
    do { _ = try CheckpointFolder(url) } catch let e as FinemixError { return e.message } catch {
        Issue.record("unexpected error type \(error)"); return ""
    }
    Issue.record("loading \(url.path) should have failed")
    return ""
}

@Suite struct CheckpointFolderTests {
    @Test func saveAndLoadAClassifierRoundTrips() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("model")
        let tensors = try TinyModel.tensors(head: true)
        var c = TinyModel.config
        c.setLabels(2)
        try CheckpointFolder.save(config: c, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: out)

        let ck = try CheckpointFolder(out)
        #expect(ck.hasHead)
        #expect(ck.config.architectures == ["BertForSequenceClassification"])
        #expect(ck.config.modelType == "bert")
        #expect(ck.config.numLabels == 2)
        #expect(ck.config.hiddenSize == 4)
        #expect(Set(ck.weights.tensorNames) == Set(tensors.map(\.name)))
        // stored with HuggingFace's BertForSequenceClassification names
        #expect(ck.weights.entries["embeddings.word_embeddings.weight"]?.storedName == "bert.embeddings.word_embeddings.weight")
        #expect(ck.weights.entries["classifier.weight"]?.storedName == "classifier.weight")
        for t in tensors {
            var v = [Float](repeating: 0, count: t.values.count)
            try v.withUnsafeMutableBufferPointer { try ck.weights.readFloats(t.name, into: $0) }
            #expect(v == t.values, "tensor \(t.name)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(json["id2label"] as? [String: String] == ["0": "LABEL_0", "1": "LABEL_1"])
        #expect(json["label2id"] as? [String: Int] == ["LABEL_0": 0, "LABEL_1": 1])
        #expect(json["model_type"] as? String == "bert")
        #expect(try String(contentsOf: ck.vocabURL, encoding: .utf8).hasPrefix("[PAD]\n[UNK]"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["config.json", "model.safetensors", "vocab.txt"])
    }

    @Test func headSizeSetsTheLabels() throws {
        let dir = TempDir()
        var c = TinyModel.config
        c.setLabels(3)   // the config claims 3, the head has 3
        let tensors = try TinyModel.tensors(c, head: true)
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: dir.url.appendingPathComponent("m"))
        let ck = try CheckpointFolder(dir.url.appendingPathComponent("m"))
        #expect(ck.config.numLabels == 3)
        #expect(ck.weights.shape(of: "classifier.weight") == [3, 4])
    }

    @Test func baseModelIsSavedWithBareNames() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("base")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        let ck = try CheckpointFolder(out)
        #expect(!ck.hasHead)
        #expect(ck.config.architectures == ["BertModel"])
        #expect(ck.weights.entries["pooler.dense.weight"]?.storedName == "pooler.dense.weight")
    }

    @Test func loadsTheRealMiniLM() throws {
        let ck = try CheckpointFolder(try ResourceCache().minilm())
        #expect(ck.config.hiddenSize == 384 && ck.config.numHiddenLayers == 6 && ck.config.vocabSize == 30522)
        #expect(ck.weights.tensorNames.count == 103)
        #expect(ck.weights.shape(of: "embeddings.word_embeddings.weight") == [30522, 384])
        #expect(try ck.weights.int64s("embeddings.position_ids") == (0..<512).map(Int64.init))
        // the expected shapes cover every float tensor of the real model
        let expected = CheckpointFolder.expectedShapes(ck.config, withHead: false)
        #expect(Set(ck.weights.tensorNames) == Set(expected.keys))
    }

    @Test func savedMiniLMPlusHeadLoadsBack() throws {
        let src = try CheckpointFolder(try ResourceCache().minilm())
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("minilm-cls")
        var head = [NamedTensor(name: "classifier.weight", shape: [2, 384], values: (0..<768).map { Float($0 % 7) * 0.01 }),
                    NamedTensor(name: "classifier.bias", shape: [2], values: [0.1, -0.1])]
        let source = TensorDictionary(head)
        struct Both: TensorSource {
            let a: SafetensorsFile; let b: TensorDictionary
            var tensorNames: [String] { a.tensorNames + b.tensorNames }
            func shape(of n: String) -> [Int]? { a.shape(of: n) ?? b.shape(of: n) }
            func readFloats(_ n: String, into buf: UnsafeMutableBufferPointer<Float>) throws {
                if a.shape(of: n) != nil { try a.readFloats(n, into: buf) } else { try b.readFloats(n, into: buf) }
            }
        }
        let both = Both(a: src.weights, b: source)
        try CheckpointFolder.save(config: src.config, vocab: src.vocabURL, source: both, names: both.tensorNames, to: out)
        let ck = try CheckpointFolder(out)
        #expect(ck.weights.tensorNames.count == 105)
        var v = [Float](repeating: 0, count: 384)
        try v.withUnsafeMutableBufferPointer { try ck.weights.readFloats("encoder.layer.5.output.dense.bias", into: $0) }
        var w = [Float](repeating: 1, count: 384)
        try w.withUnsafeMutableBufferPointer { try src.weights.readFloats("encoder.layer.5.output.dense.bias", into: $0) }
        #expect(v == w)
        head.removeAll()
    }

    // MARK: bad inputs, one test each

    @Test func missingVocab() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("vocab.txt"))
        let m = folderError(out)
        #expect(m.contains(out.appendingPathComponent("vocab.txt").path) && m.contains("missing"))
    }

    @Test func malformedConfig() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        let config = out.appendingPathComponent("config.json")
        try Data(#"{"hidden_size": 4, "vocab_size": "#.utf8).write(to: config)
        let m = folderError(out)
        #expect(m.contains(config.path) && m.contains("malformed JSON"))
    }

    @Test func configFieldOfTheWrongType() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        let config = out.appendingPathComponent("config.json")
        try Data(#"{"hidden_size": "four", "vocab_size": 12}"#.utf8).write(to: config)
        let m = folderError(out)
        #expect(m.contains(config.path) && m.contains("hidden_size"))
        try Data(#"{"hidden_size": -4}"#.utf8).write(to: config)
        let m2 = folderError(out)
        #expect(m2.contains(config.path) && m2.contains("hidden_size"))
    }

    @Test func missingConfig() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("config.json"))
        #expect(folderError(out).contains("config.json"))
    }

    /// pytorch_model.bin is read now (WeightFileTests); one that is not a torch.save zip is named as such.
    @Test func pytorchBinThatIsNotAZipIsRefused() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("model.safetensors"))
        try Data("not really a pickle".utf8).write(to: out.appendingPathComponent("pytorch_model.bin"))
        let m = folderError(out)
        #expect(m == "\(out.path)/pytorch_model.bin: is not a torch.save zip archive (it does not begin with a zip header)", "\(m)")
    }

    @Test func missingWeights() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("model.safetensors"))
        #expect(folderError(out).contains("model.safetensors"))
    }

    @Test func tensorShapeDisagreesWithConfig() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        var bigger = TinyModel.config
        bigger.vocabSize = 13
        try JSONEncoder().encode(bigger).write(to: out.appendingPathComponent("config.json"))
        let m = folderError(out)
        #expect(m.contains("embeddings.word_embeddings.weight") && m.contains("[12, 4]") && m.contains("[13, 4]"))
    }

    @Test func saveRefusesAShapeTheConfigContradicts() throws {
        let dir = TempDir()
        var tensors = try TinyModel.tensors(head: false)
        let i = tensors.firstIndex { $0.name == "pooler.dense.bias" }!
        tensors[i] = NamedTensor(name: "pooler.dense.bias", shape: [5], values: [0, 0, 0, 0, 0])
        let out = dir.url.appendingPathComponent("m")
        #expect { try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: out) } throws: {
            ($0 as? FinemixError)?.message.contains("pooler.dense.bias") == true
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func notAFolder() throws {
        let m = folderError(URL(fileURLWithPath: "/nonexistent/finemix-model"))
        #expect(m.contains("/nonexistent/finemix-model"))
    }
}
