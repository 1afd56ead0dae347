import Foundation
import Testing
@testable import Defense

/// The real model with some tensors replaced, for drift tests that need a realistic victim.
struct OverlaySource: TensorSource {
    let base: any TensorSource
    let replaced: [String: NamedTensor]
    var tensorNames: [String] { Array(Set(base.tensorNames).union(replaced.keys)).sorted() }
    func shape(of name: String) -> [Int]? { replaced[name]?.shape ?? base.shape(of: name) }
    func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        if let t = replaced[name] { _ = buffer.initialize(from: t.values) } else { try base.readFloats(name, into: buffer) }
    }
}

func values(_ source: any TensorSource, _ name: String) throws -> [Float] {
    var v = [Float](repeating: 0, count: source.elementCount(of: name)!)
    try v.withUnsafeMutableBufferPointer { try source.readFloats(name, into: $0) }
    return v
}

@Suite struct DriftTests {
    func t(_ name: String, _ shape: [Int], _ v: [Float]) -> NamedTensor { NamedTensor(name: name, shape: shape, values: v) }

    @Test func statisticsOnKnownValues() throws {
        let pre = TensorDictionary([t("encoder.layer.0.attention.self.query.bias", [4], [3, 4, 0, 0])])
        let victim = TensorDictionary([t("encoder.layer.0.attention.self.query.bias", [4], [3, 5, 0, 1e-7])])
        let r = try Drift.report(pre: pre, victim: victim, vocabulary: [])
        let d = try #require(r.tensors.first)
        #expect(abs(d.relL2 - (1 + 1e-14).squareRoot() / 5) < 1e-7)
        #expect(abs(d.cosine - 29 / (5 * (34.0).squareRoot())) < 1e-6)
        #expect(d.maxAbs == 1)
        #expect(d.changedFrac == 0.25)   // 1e-7 is below the default threshold 1e-6
        #expect(!d.zeroNorm)
        let strict = try Drift.report(pre: pre, victim: victim, vocabulary: [], options: .init(changedThreshold: 0))
        #expect(strict.tensors[0].changedFrac == 0.5)
        #expect(strict.changedThreshold == 0)
    }

    @Test func zeroNormTensorGetsAbsoluteDriftAndAFlag() throws {
        let pre = TensorDictionary([t("pooler.dense.bias", [2], [0, 0]), t("pooler.dense.weight", [2], [0, 0]),
                                    t("embeddings.LayerNorm.bias", [2], [0, 0])])
        let victim = TensorDictionary([t("pooler.dense.bias", [2], [0.3, 0.4]), t("pooler.dense.weight", [2], [0, 0]),
                                       t("embeddings.LayerNorm.bias", [2], [1e-30, 0])])
        let r = try Drift.report(pre: pre, victim: victim, vocabulary: [])
        let bias = try #require(r.tensors.first { $0.name == "pooler.dense.bias" })
        #expect(bias.zeroNorm)
        #expect(abs(bias.relL2 - 0.5) < 1e-7)
        #expect(bias.cosine == 0)
        let weight = try #require(r.tensors.first { $0.name == "pooler.dense.weight" })
        #expect(weight.zeroNorm && weight.relL2 == 0 && weight.cosine == 1)
        let tiny = try #require(r.tensors.first { $0.name == "embeddings.LayerNorm.bias" })
        #expect(tiny.zeroNorm && tiny.relL2 < 1e-20)   // no enormous ratio from 1e-30 / 0
        let pooler = try #require(r.layers.first { $0.name == "pooler" })
        #expect(pooler.zeroNorm && abs(pooler.relL2! - 0.5) < 1e-7)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        let entry = (json["tensors"] as! [[String: Any]]).first { $0["name"] as? String == "pooler.dense.bias" }!
        #expect(entry["zero_norm"] as? Bool == true)
    }

    @Test func layersAggregateTheirTensors() throws {
        let pre = TensorDictionary([
            t("encoder.layer.1.attention.self.key.weight", [2], [3, 0]),
            t("encoder.layer.1.attention.output.LayerNorm.weight", [2], [0, 4]),
            t("encoder.layer.1.intermediate.dense.weight", [1], [2]),
            t("encoder.layer.1.output.dense.weight", [1], [2]),
            t("embeddings.word_embeddings.weight", [2, 1], [1, 1]),
        ])
        let victim = TensorDictionary([
            t("encoder.layer.1.attention.self.key.weight", [2], [3, 1]),
            t("encoder.layer.1.attention.output.LayerNorm.weight", [2], [0, 6]),
            t("encoder.layer.1.intermediate.dense.weight", [1], [2]),
            t("encoder.layer.1.output.dense.weight", [1], [3]),
            t("embeddings.word_embeddings.weight", [2, 1], [1, 1]),
            t("classifier.weight", [1, 1], [5]),
        ])
        let r = try Drift.report(pre: pre, victim: victim, vocabulary: ["a", "b"])
        #expect(r.layers.map(\.name) == ["embeddings", "encoder.layer.1.attention", "encoder.layer.1.ffn", "classifier"])
        let att = r.layers[1].relL2!, ffn = r.layers[2].relL2!
        #expect(abs(att - (1.0 + 4).squareRoot() / (9.0 + 16).squareRoot()) < 1e-9)
        #expect(abs(ffn - 1 / (8.0).squareRoot()) < 1e-9)
        #expect(r.layers[0].relL2 == 0)
        #expect(r.layers[3] == LayerDrift(name: "classifier", relL2: nil, isNew: true))
        #expect(r.onlyInVictim == ["classifier.weight"] && r.onlyInPre.isEmpty)
        #expect(r.tokens.isEmpty)
    }

    @Test func groupsFollowBertNames() {
        #expect(LayerGroups.group(of: "encoder.layer.11.attention.self.value.bias") == "encoder.layer.11.attention")
        #expect(LayerGroups.group(of: "encoder.layer.3.intermediate.dense.weight") == "encoder.layer.3.ffn")
        #expect(LayerGroups.group(of: "encoder.layer.3.output.LayerNorm.bias") == "encoder.layer.3.ffn")
        #expect(LayerGroups.group(of: "embeddings.position_embeddings.weight") == "embeddings")
        #expect(LayerGroups.group(of: "pooler.dense.weight") == "pooler")
        #expect(LayerGroups.group(of: "classifier.bias") == "classifier")
        #expect(LayerGroups.sortKey("encoder.layer.10.attention") > LayerGroups.sortKey("encoder.layer.2.ffn"))
    }

    @Test func shapeMismatchNamesTheTensor() throws {
        let pre = TensorDictionary([t("encoder.layer.0.output.dense.bias", [2], [1, 2])])
        let victim = TensorDictionary([t("encoder.layer.0.output.dense.bias", [3], [1, 2, 3])])
        #expect { try Drift.report(pre: pre, victim: victim, vocabulary: []) } throws: {
            let m = ($0 as? FinemixError)?.message ?? ""
            return m.contains("encoder.layer.0.output.dense.bias") && m.contains("[2]") && m.contains("[3]")
        }
    }

    @Test func embeddingRowsAndTopTokens() throws {
        // 5 tokens × 3: rows 1 and 3 move, row 3 more
        let base: [Float] = (0..<15).map { Float($0) * 0.1 }
        var moved = base
        moved[3] += 0.3; moved[4] += 0.4          // row 1: ‖Δ‖ = 0.5
        moved[9] += 1.0                           // row 3: ‖Δ‖ = 1
        let pre = TensorDictionary([t("embeddings.word_embeddings.weight", [5, 3], base)])
        let victim = TensorDictionary([t("embeddings.word_embeddings.weight", [5, 3], moved)])
        let rows = try embeddingRowDrift(pre: pre, victim: victim)
        #expect(rows.count == 5)
        #expect(rows[0] == 0 && rows[2] == 0 && rows[4] == 0)
        #expect(abs(rows[1] - 0.5) < 1e-6 && abs(rows[3] - 1) < 1e-6)
        let r = try Drift.report(pre: pre, victim: victim, vocabulary: ["[PAD]", "cf", "the", "mn"],
                                 options: .init(topTokens: 5))
        #expect(r.tokens.map(\.id) == [3, 1])      // unmoved rows are left out
        #expect(r.tokens.map(\.token) == ["mn", "cf"])
        let one = try Drift.report(pre: pre, victim: victim, vocabulary: [], options: .init(topTokens: 1))
        #expect(one.tokens == [TokenDrift(token: "[3]", id: 3, drift: one.tokens[0].drift)])
        #expect(throws: FinemixError.self) { try embeddingRowDrift(pre: pre, victim: TensorDictionary([])) }
    }

    /// Tensors larger than one piece, through the mapping (F32 in place) and through conversion
    /// (BF16), against a plain Double computation.
    @Test func piecesAgreeWithADirectComputation() throws {
        let rows = 1500, cols = 400   // 600 000 values: three pieces
        let a = (0..<(rows * cols)).map { Float(sin(Double($0) * 0.001)) }
        var b = a
        for i in stride(from: 7, to: b.count, by: 13) { b[i] += Float(i % 5) * 0.01 }
        let dir = TempDir()
        let pu = dir.url.appendingPathComponent("pre.safetensors"), vu = dir.url.appendingPathComponent("victim.safetensors")
        try SafetensorsWriter.write([t("embeddings.word_embeddings.weight", [rows, cols], a)], to: pu)
        try SafetensorsWriter.write([t("embeddings.word_embeddings.weight", [rows, cols], b)], to: vu)
        let r = try Drift.report(pre: try SafetensorsFile(pu), victim: try SafetensorsFile(vu), vocabulary: [])
        var pp = 0.0, dd = 0.0, pv = 0.0, vv = 0.0, changed = 0
        for i in a.indices {
            let d = Double(b[i] - a[i])
            pp += Double(a[i]) * Double(a[i]); vv += Double(b[i]) * Double(b[i]); pv += Double(a[i]) * Double(b[i])
            dd += d * d; if abs(b[i] - a[i]) > 1e-6 { changed += 1 }
        }
        let d = r.tensors[0]
        #expect(abs(d.relL2 - dd.squareRoot() / pp.squareRoot()) < 1e-6 * d.relL2)
        #expect(abs(d.cosine - pv / (pp.squareRoot() * vv.squareRoot())) < 1e-6)
        #expect(d.changedFrac == Double(changed) / Double(a.count))
        let rowDrift = try embeddingRowDrift(pre: try SafetensorsFile(pu), victim: try SafetensorsFile(vu))
        for row in [0, 655, 1499] {
            let want = (0..<cols).map { Double(b[row * cols + $0] - a[row * cols + $0]) }.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(abs(Double(rowDrift[row]) - want) < 1e-6)
        }

        // BF16 goes through the scratch path; the same tensor read as BF16 on both sides is identical
        let bf16 = a.map { UInt16(truncatingIfNeeded: $0.bitPattern >> 16) }
        let header = #"{"embeddings.word_embeddings.weight":{"dtype":"BF16","shape":[\#(rows),\#(cols)],"data_offsets":[0,\#(rows * cols * 2)]}}"#
        let hu = try dir.file("h.safetensors", RawSafetensors.bytes(header: header, data: bf16.withUnsafeBytes { Array($0) }))
        let same = try Drift.report(pre: try SafetensorsFile(hu), victim: try SafetensorsFile(hu), vocabulary: [])
        #expect(same.tensors[0].relL2 == 0 && same.tensors[0].maxAbs == 0)
        // and against the F32 original, max|Δ| is the BF16 truncation error
        let trunc = try Drift.report(pre: try SafetensorsFile(pu), victim: try SafetensorsFile(hu), vocabulary: [])
        let maxTrunc = zip(a, bf16).map { abs(Float(bitPattern: UInt32($1) << 16) - $0) }.max()!
        #expect(trunc.tensors[0].maxAbs == Double(maxTrunc))
    }

    @Test func deltaHistogramCountsEveryValueInItsBin() throws {
        let rows = 1500, cols = 400   // three pieces, so per-piece counts must add up
        let a = (0..<(rows * cols)).map { Float(sin(Double($0) * 0.001)) }
        var b = a
        for i in stride(from: 3, to: b.count, by: 7) { b[i] += Float(i % 11 - 5) * 0.002 }
        let dir = TempDir()
        let pu = dir.url.appendingPathComponent("pre.safetensors"), vu = dir.url.appendingPathComponent("victim.safetensors")
        try SafetensorsWriter.write([t("embeddings.word_embeddings.weight", [rows, cols], a),
                                     t("pooler.dense.bias", [3], [1, 2, 3])], to: pu)
        try SafetensorsWriter.write([t("embeddings.word_embeddings.weight", [rows, cols], b),
                                     t("pooler.dense.bias", [3], [1, 2, 3])], to: vu)
        let bins = 21
        let r = try Drift.report(pre: try SafetensorsFile(pu), victim: try SafetensorsFile(vu), vocabulary: [],
                                 options: .init(histogramBins: bins))
        let e = try #require(r.tensors.first { $0.name == "embeddings.word_embeddings.weight" })
        let limit = Float(e.maxAbs)
        var want = [Int](repeating: 0, count: bins)
        for i in a.indices {
            let x = ((b[i] - a[i]) + limit) * (Float(bins) / (2 * limit))
            want[Int(min(Float(bins - 1), max(0, x)))] += 1
        }
        #expect(e.histogram == want)
        #expect(e.histogram!.reduce(0, +) == rows * cols)
        // most weights did not move: the middle bin holds them; the edges hold the ±0.01 steps
        #expect(e.histogram![bins / 2] > rows * cols / 2)
        #expect(e.histogram!.first! > 0 && e.histogram!.last! > 0)
        // an unmoved tensor puts everything in the middle bin
        let still = try #require(r.tensors.first { $0.name == "pooler.dense.bias" })
        #expect(still.histogram == (0..<bins).map { $0 == bins / 2 ? 3 : 0 })
        // off by default, and absent from the JSON then
        let plain = try Drift.report(pre: try SafetensorsFile(pu), victim: try SafetensorsFile(vu), vocabulary: [])
        #expect(plain.tensors.allSatisfy { $0.histogram == nil })
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("histogram"))
    }

    @Test func jsonHasExactlyTheIssueKeys() throws {
        let pre = TensorDictionary([t("embeddings.word_embeddings.weight", [2, 2], [1, 2, 3, 4]), t("pooler.dense.bias", [2], [0, 0]),
                                    t("cls.predictions.bias", [1], [1])])
        let victim = TensorDictionary([t("embeddings.word_embeddings.weight", [2, 2], [1, 2, 3, 5]), t("pooler.dense.bias", [2], [0, 1]),
                                       t("classifier.bias", [2], [0, 0])])
        let r = try Drift.report(pre: pre, victim: victim, vocabulary: ["a", "b"])
        let data = try JSONEncoder().encode(r)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(json.keys) == ["tensors", "layers", "only_in_pre", "only_in_victim", "tokens", "changed_threshold"])
        for entry in json["tensors"] as! [[String: Any]] {
            let keys = Set(entry.keys).subtracting(["zero_norm"])
            #expect(keys == ["name", "shape", "rel_l2", "cosine", "max_abs", "changed_frac"])
        }
        for entry in json["layers"] as! [[String: Any]] {
            #expect(Set(entry.keys).subtracting(["zero_norm", "new"]) == ["name", "rel_l2"])
        }
        let tokens = json["tokens"] as! [[String: Any]]
        #expect(tokens.count == 1 && Set(tokens[0].keys) == ["token", "id", "drift"])
        #expect(tokens[0]["token"] as? String == "b")
        #expect(json["only_in_pre"] as? [String] == ["cls.predictions.bias"])
        #expect(json["only_in_victim"] as? [String] == ["classifier.bias"])
        let back = try JSONDecoder().decode(DriftReport.self, from: data)
        #expect(back.tensors.map(\.name) == r.tensors.map(\.name) && back.layers == r.layers && back.tokens == r.tokens)
    }

    @Test func realMiniLMAgainstItselfIsZeroAndPoolerBiasIsFlagged() throws {
        let ck = try CheckpointFolder(try ResourceCache().minilm())
        let r = try Drift.report(pre: ck.weights, victim: ck.weights, vocabulary: try Drift.vocabularyLines(ck.vocabURL))
        #expect(r.tensors.count == 103)
        #expect(r.tensors.allSatisfy { $0.relL2 == 0 && $0.maxAbs == 0 && $0.changedFrac == 0 })
        #expect(r.tensors.allSatisfy { abs($0.cosine - 1) < 1e-9 || $0.zeroNorm })
        #expect(r.layers.count == 14 && r.layers.allSatisfy { $0.relL2 == 0 })
        #expect(r.tokens.isEmpty && r.onlyInPre.isEmpty && r.onlyInVictim.isEmpty)
        #expect(r.tensors.filter(\.zeroNorm).map(\.name) == ["pooler.dense.bias"])
    }

    @Test func realMiniLMWithOnePoolerBiasChange() throws {
        let ck = try CheckpointFolder(try ResourceCache().minilm())
        let victim = OverlaySource(base: ck.weights, replaced: [
            "pooler.dense.bias": t("pooler.dense.bias", [384], Array(repeating: 0.01, count: 384)),
        ])
        let r = try Drift.report(pre: ck.weights, victim: victim, vocabulary: [])
        let moved = r.tensors.filter { $0.relL2 > 0 }
        #expect(moved.map(\.name) == ["pooler.dense.bias"])
        #expect(moved[0].zeroNorm)
        #expect(abs(moved[0].relL2 - 0.01 * (384.0).squareRoot()) < 1e-6)   // absolute ‖Δ‖, not a ratio
        let pooler = try #require(r.layers.first { $0.name == "pooler" })
        #expect(!pooler.zeroNorm && pooler.relL2! > 0 && pooler.relL2! < 1)
        #expect(r.layers.filter { ($0.relL2 ?? 0) > 0 }.map(\.name) == ["pooler"])
    }

    @Test func vocabularyIsAPlainLineSplit() throws {
        let dir = TempDir()
        let u = try dir.file("vocab.txt", Data("[PAD]\r\n\nhello\n##ing\n".utf8))
        #expect(try Drift.vocabularyLines(u) == ["[PAD]", "", "hello", "##ing"])
        let real = try Drift.vocabularyLines(try ResourceCache().minilm().appendingPathComponent("vocab.txt"))
        #expect(real.count == 30522 && real[101] == "[CLS]" && real[102] == "[SEP]")
    }
}
