import Defense
import Foundation
import Testing
import TestSupport

/// `finemix inspect` on the real MiniLM against copies of it saved by finemix.
@Suite(.serialized) struct InspectTests {
    /// The real model with `edits` applied, saved as a checkpoint folder in a fresh temp folder.
    struct Copy {
        let dir: URL
        init(_ edits: [String: (inout [Float]) -> Void]) throws {
            let src = try CheckpointFolder(try ResourceCache().minilm())
            dir = TempFolder.url("inspect")
            var replaced: [String: NamedTensor] = [:]
            for (name, edit) in edits {
                let shape = src.weights.shape(of: name)!
                var v = [Float](repeating: 0, count: shape.reduce(1, *))
                try v.withUnsafeMutableBufferPointer { try src.weights.readFloats(name, into: $0) }
                edit(&v)
                replaced[name] = NamedTensor(name: name, shape: shape, values: v)
            }
            struct Overlay: TensorSource {
                let base: SafetensorsFile; let replaced: [String: NamedTensor]
                var tensorNames: [String] { base.tensorNames }
                func shape(of n: String) -> [Int]? { base.shape(of: n) }
                func readFloats(_ n: String, into b: UnsafeMutableBufferPointer<Float>) throws {
                    if let t = replaced[n] { _ = b.initialize(from: t.values) } else { try base.readFloats(n, into: b) }
                }
            }
            let overlay = Overlay(base: src.weights, replaced: replaced)
            try CheckpointFolder.save(config: src.config, vocab: src.vocabURL, source: overlay,
                                      names: overlay.tensorNames, to: dir)
        }
        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    func inspectJSON(_ pre: URL, _ victim: URL, _ extra: [String] = []) throws -> [String: Any] {
        let out = try Binary.run(["inspect", "--pre", pre.path, "--victim", victim.path, "--json"] + extra)
        #expect(out.status == 0, "stderr: \(out.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    }

    func tensors(_ json: [String: Any]) -> [[String: Any]] { json["tensors"] as! [[String: Any]] }
    func layers(_ json: [String: Any]) -> [[String: Any]] { json["layers"] as! [[String: Any]] }

    @Test func oneChangedTensorIsTheOnlyOneReported() throws {
        let minilm = try ResourceCache().minilm()
        let name = "encoder.layer.2.intermediate.dense.weight"
        let copy = try Copy([name: { v in for i in stride(from: 0, to: v.count, by: 97) { v[i] += 0.003 } }])
        defer { copy.remove() }
        let json = try inspectJSON(minilm, copy.dir)
        let moved = tensors(json).filter { ($0["rel_l2"] as! Double) > 0 }
        #expect(moved.map { $0["name"] as! String } == [name])
        #expect(moved.first?["shape"] as? [Int] == [1536, 384])
        #expect(abs((moved.first?["max_abs"] as? Double ?? 0) - 0.003) < 1e-5)
        let changed = moved.first?["changed_frac"] as? Double ?? 0
        #expect(abs(changed - 1.0 / 97) < 1e-3)
        #expect(tensors(json).filter { ($0["max_abs"] as! Double) > 0 || ($0["changed_frac"] as! Double) > 0 }.count == 1)
        let movedLayers = layers(json).filter { ($0["rel_l2"] as? Double ?? 0) > 0 }.map { $0["name"] as! String }
        #expect(movedLayers == ["encoder.layer.2.ffn"])
        #expect((json["tokens"] as! [Any]).isEmpty)
        #expect((json["only_in_pre"] as! [String]).isEmpty && (json["only_in_victim"] as! [String]).isEmpty)

        // the tables name the tensor and the layer
        let text = try Binary.run(["inspect", "--pre", minilm.path, "--victim", copy.dir.path])
        #expect(text.status == 0)
        #expect(text.stdout.contains("1 of 103 shared tensors differ"))
        #expect(text.stdout.contains(name))
        #expect(text.stdout.contains("encoder.layer.2.ffn"))
    }

    @Test func modelAgainstItselfIsZeroEverywhere() throws {
        let minilm = try ResourceCache().minilm()
        let json = try inspectJSON(minilm, minilm)
        let ts = tensors(json)
        #expect(ts.count == 103)
        for t in ts {
            #expect(t["rel_l2"] as? Double == 0 && t["max_abs"] as? Double == 0 && t["changed_frac"] as? Double == 0,
                    "\(t["name"] ?? "")")
        }
        #expect(layers(json).count == 14 && layers(json).allSatisfy { $0["rel_l2"] as? Double == 0 })
        #expect((json["tokens"] as! [Any]).isEmpty)
        // pooler.dense.bias is all zeros in the real model: flagged, never a ratio
        let flagged = ts.filter { $0["zero_norm"] as? Bool == true }.map { $0["name"] as! String }
        #expect(flagged == ["pooler.dense.bias"])
    }

    @Test func zeroPoolerBiasIsFlaggedNotAHugeRatio() throws {
        let minilm = try ResourceCache().minilm()
        let copy = try Copy(["pooler.dense.bias": { v in for i in v.indices { v[i] = 0.02 } }])
        defer { copy.remove() }
        let json = try inspectJSON(minilm, copy.dir)
        let bias = try #require(tensors(json).first { $0["name"] as? String == "pooler.dense.bias" })
        #expect(bias["zero_norm"] as? Bool == true)
        #expect(abs((bias["rel_l2"] as! Double) - 0.02 * (384.0).squareRoot()) < 1e-5)
        let pooler = try #require(layers(json).first { $0["name"] as? String == "pooler" })
        let rel = pooler["rel_l2"] as! Double
        #expect(rel > 0 && rel < 1 && pooler["zero_norm"] == nil)
        let text = try Binary.run(["inspect", "--pre", minilm.path, "--victim", copy.dir.path])
        #expect(text.stdout.contains("‖pre‖ = 0"))
    }

    @Test func movedEmbeddingRowIsTheTopToken() throws {
        let minilm = try ResourceCache().minilm()
        let vocab = try Drift.vocabularyLines(minilm.appendingPathComponent("vocab.txt"))
        let id = try #require(vocab.firstIndex(of: "cf"))
        let copy = try Copy(["embeddings.word_embeddings.weight": { v in
            for k in 0..<384 { v[id * 384 + k] += 0.05 }
            v[5000 * 384] += 0.01
        }])
        defer { copy.remove() }
        let json = try inspectJSON(minilm, copy.dir, ["--top", "3"])
        let tokens = json["tokens"] as! [[String: Any]]
        #expect(tokens.count == 2)
        #expect(tokens.first?["token"] as? String == "cf" && tokens.first?["id"] as? Int == id)
        #expect(abs((tokens.first?["drift"] as? Double ?? 0) - 0.05 * (384.0).squareRoot()) < 1e-4)
        #expect(tokens.last?["id"] as? Int == 5000)
        #expect(layers(json).filter { ($0["rel_l2"] as? Double ?? 0) > 0 }.map { $0["name"] as! String } == ["embeddings"])
    }

    @Test func jsonHasExactlyTheIssueKeys() throws {
        let minilm = try ResourceCache().minilm()
        let json = try inspectJSON(minilm, minilm)
        #expect(Set(json.keys) == ["tensors", "layers", "only_in_pre", "only_in_victim", "tokens", "changed_threshold",
                                   "family", "victim_origin", "victim_format"])
        #expect(json["family"] as? String == "bert" && json["victim_format"] as? String == "safetensors")
        for t in tensors(json) {
            #expect(Set(t.keys).subtracting(["zero_norm"]) == ["name", "shape", "rel_l2", "cosine", "max_abs", "changed_frac"])
        }
        for l in layers(json) { #expect(Set(l.keys) == ["name", "rel_l2"]) }
    }

    @Test func shapeMismatchBetweenModelsNamesTheTensor() throws {
        let dir = TempFolder.url("inspect")
        defer { try? FileManager.default.removeItem(at: dir) }
        var small = BertConfig()
        small.vocabSize = 8; small.hiddenSize = 4; small.numHiddenLayers = 1; small.numAttentionHeads = 2
        small.intermediateSize = 8; small.maxPositionEmbeddings = 8
        var wide = small
        wide.intermediateSize = 16
        let vocab = dir.appendingPathComponent("v.txt")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data((0..<8).map { "t\($0)" }.joined(separator: "\n").utf8).write(to: vocab)
        for (config, name) in [(small, "a"), (wide, "b")] {
            let w = try SyntheticWeights(config: config, seed: 1, withHead: false)
            try CheckpointFolder.save(config: config, vocab: vocab, source: w, names: w.tensorNames, to: dir.appendingPathComponent(name))
        }
        let out = try Binary.run(["inspect", "--pre", dir.appendingPathComponent("a").path, "--victim", dir.appendingPathComponent("b").path])
        #expect(out.status == 1)
        #expect(out.stderr.contains("encoder.layer.0.intermediate.dense.bias") || out.stderr.contains("encoder.layer.0.intermediate.dense.weight"))
        #expect(out.stderr.contains("shape"))
        #expect(out.stdout.isEmpty)
    }

    @Test func badFolderIsOneClearLine() throws {
        let dir = TempFolder.url("inspect")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
        try Data("[PAD]\n".utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        try Data("pickle".utf8).write(to: dir.appendingPathComponent("pytorch_model.bin"))
        let out = try Binary.run(["inspect", "--pre", try ResourceCache().minilm().path, "--victim", dir.path])
        #expect(out.status == 1)
        #expect(out.stderr.hasPrefix("finemix: ") && out.stderr.contains("pytorch_model.bin: is not a torch.save zip archive"))
        #expect(out.stderr.split(separator: "\n").count == 1)
    }
}
