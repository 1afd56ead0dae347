import Foundation
import Testing
@testable import Defense

/// A model folder from a stranger: only safetensors is read, and every size in it is checked
/// against the file before anything that size is allocated. Non-finite weights are refused by
/// name. (SafetensorsTests covers the byte-level format errors one by one.)
@Suite struct UntrustedModelTests {
    @Test func aHeaderClaiming100GBBeyondTheFileIsRefusedBeforeAllocating() throws {
        let header = #"{"w":{"dtype":"F32","shape":[25000000000],"data_offsets":[0,100000000000]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header, data: Array(repeating: 0, count: 16)))
        #expect(m.contains("tensor w") && m.contains("more elements than the"))
        // Within what the shape allows, the offsets alone may not point past the data either.
        let h2 = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[99999999984,100000000000]}}"#
        let m2 = try safetensorsError(RawSafetensors.bytes(header: h2, data: Array(repeating: 0, count: 16)))
        #expect(m2.contains("tensor w") && m2.contains("outside the data region of 16 bytes"))
    }

    @Test func aShapeWhoseProductOverflowsIntIsRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[9223372036854775807,9223372036854775807],"data_offsets":[0,0]}}"#
        let m = try safetensorsError(RawSafetensors.bytes(header: header))
        #expect(m.contains("tensor w") && m.contains("more elements"))
        // 2^21 cubed is 2^63: one past Int.max.
        let h2 = #"{"w":{"dtype":"F16","shape":[2097152,2097152,2097152],"data_offsets":[0,0]}}"#
        #expect(try safetensorsError(RawSafetensors.bytes(header: h2)).contains("more elements"))
    }

    @Test func rankAboveTheLimitIsRefused() throws {
        let shape = Array(repeating: "1", count: SafetensorsFile.maxRank + 1).joined(separator: ",")
        let m = try safetensorsError(RawSafetensors.bytes(header: #"{"w":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]))
        #expect(m.contains("tensor w") && m.contains("rank 9 exceeds the limit of 8"))
    }

    @Test func theLimitsAreTheDocumentedOnes() {
        #expect(SafetensorsFile.maxHeaderBytes == 100_000_000)
        #expect(SafetensorsFile.maxTensors == 1_000_000)
        #expect(SafetensorsFile.maxRank == 8)
    }

    /// torch's legacy format (a bare pickle, before torch 1.6) is not read: never unpickled, whatever it holds.
    @Test func legacyPickleIsRefusedWithHowToConvert() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("model.safetensors"))
        // Bytes of a real pickle (protocol 2, an empty dict): never opened, whatever they hold.
        try Data([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]).write(to: out.appendingPathComponent("pytorch_model.bin"))
        let m = folderError(out)
        #expect(m.hasPrefix("\(out.path)/pytorch_model.bin: is in torch's legacy format") && m.contains("torch.save"), "\(m)")
    }

    /// config.json sizes the model the engine allocates; beside a tiny file that lacks the
    /// tensors it implies, the folder is refused (naming one) instead of allocating 2.6 TB.
    @Test func aHugeConfigBesideATinyFileIsRefusedBeforeAllocating() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: false), to: out)
        let huge = #"{"vocab_size": 10000000, "hidden_size": 65536, "num_hidden_layers": 1000, "num_attention_heads": 1024, "intermediate_size": 1000000}"#
        try Data(huge.utf8).write(to: out.appendingPathComponent("config.json"))
        let m = folderError(out)
        #expect(m.contains("model.safetensors") && m.contains("has shape") && m.contains("config.json implies"))
        // With the tensors removed rather than misshapen: refused as missing.
        let only = try TinyModel.tensors(head: false).filter { $0.name == "embeddings.LayerNorm.weight" }
        try SafetensorsWriter.write(only, to: out.appendingPathComponent("model.safetensors"))
        let big = #"{"vocab_size": 10000000, "hidden_size": 4, "num_hidden_layers": 1000, "num_attention_heads": 2, "intermediate_size": 1000000}"#
        try Data(big.utf8).write(to: out.appendingPathComponent("config.json"))
        let m2 = folderError(out)
        #expect(m2.contains("is missing") && m2.contains("embeddings.") && m2.contains("1000 layers"))
    }

    @Test func aFolderWithoutPoolerOrHeadStillLoads() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        let tensors = try TinyModel.tensors(head: false).filter { !$0.name.hasPrefix("pooler.") }
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: out)
        let (_, hasHead) = try BertModel.load(try CheckpointFolder(out))
        #expect(!hasHead)
    }

    /// NaN and Inf in stored weights: loading for use names every such tensor and its count.
    @Test func nonFiniteWeightsAreReportedPerTensor() throws {
        let dir = TempDir()
        let out = dir.url.appendingPathComponent("m")
        var tensors = try TinyModel.tensors(head: true)
        let q = tensors.firstIndex { $0.name == "encoder.layer.1.attention.self.query.weight" }!
        tensors[q].values[0] = .nan; tensors[q].values[5] = .infinity; tensors[q].values[7] = -.infinity
        let e = tensors.firstIndex { $0.name == "embeddings.word_embeddings.weight" }!
        tensors[e].values[3] = .nan
        var c = TinyModel.config
        c.setLabels(2)
        try CheckpointFolder.save(config: c, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: out)
        let folder = try CheckpointFolder(out)   // the file itself is well-formed
        #expect { _ = try BertModel.load(folder) } throws: { error in
            let m = (error as? FinemixError)?.message ?? ""
            return m.contains("model.safetensors") && m.contains("2 tensors hold NaN or Inf")
                && m.contains("encoder.layer.1.attention.self.query.weight (3 of 16 values)")
                && m.contains("embeddings.word_embeddings.weight (1 of 48 values)")
        }
        #expect { _ = try VictimTraining.loadClassifier(folder) } throws: { error in
            (error as? FinemixError)?.message.contains("NaN or Inf") ?? false
        }
        let found = try NonFiniteWeights.scan(folder.weights)
        #expect(found.map(\.name) == ["embeddings.word_embeddings.weight", "encoder.layer.1.attention.self.query.weight"])
        #expect(found.map(\.count) == [1, 3])
    }

    @Test func nonFiniteCountSeesEveryKindAndOnlyThose() {
        let values: [Float] = [0, -0, 1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
                               .nan, -.nan, .signalingNaN, .infinity, -.infinity, Float(bitPattern: 0x7fc0_0001)]
        #expect(values.withUnsafeBufferPointer { NonFiniteWeights.count($0) } == 6)
    }
}
