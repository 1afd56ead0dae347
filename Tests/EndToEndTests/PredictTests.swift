import Foundation
import Testing
@testable import Defense
import TestSupport

/// `finemix predict` on the real MiniLM: refuses a headless encoder, and with a head its logits are
/// the engine's, for single texts, stdin lines and tab-separated pairs.
@Suite struct PredictTests {
    static func folderWithHead() throws -> (URL, BertModel) {
        let minilm = try ResourceCache().minilm()
        let (model, _) = try BertModel.load(try CheckpointFolder(minilm), headSeed: 5)
        let dir = TempFolder.url("finemix-predict")
        try CheckpointFolder.save(config: model.config, vocab: minilm.appendingPathComponent("vocab.txt"),
                                  tensors: model.params.export(), to: dir)
        return (dir, model)
    }

    static func parse(_ line: Substring) throws -> (logits: [Double], probs: [Double], label: Int) {
        let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        return ((o["logits"] as! [NSNumber]).map(\.doubleValue), (o["probs"] as! [NSNumber]).map(\.doubleValue),
                (o["label"] as! NSNumber).intValue)
    }

    @Test func headlessEncoderIsRefusedClearly() throws {
        let out = try Binary.run(["predict", "--model", try ResourceCache().minilm().path, "a fine film"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("no classifier head"))
        let random = try Binary.run(["predict", "--model", try ResourceCache().minilm().path, "--allow-random-head", "a fine film"])
        #expect(random.status == 0)
        #expect(random.stdout.split(separator: "\n").count == 1)
    }

    @Test func logitsAreTheEngines() throws {
        let (dir, model) = try Self.folderWithHead()
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["a gorgeous, witty, seductive movie.", "the plot is nothing but boilerplate clichés", "meh"]
        let out = try Binary.run(["predict", "--model", dir.path, "--json"] + texts)
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == texts.count)
        let tok = try Tokenizer(vocabURL: dir)
        let want = try Predictor(model: model, maxBatch: 8, maxSeq: 128)
            .logits(texts.map { let e = tok.encode($0, maxLength: 128); return (e.ids, e.typeIds) })
        for (line, w) in zip(lines, want) {
            let p = try Self.parse(line)
            #expect(zip(p.logits, w).allSatisfy { abs($0 - Double($1)) < 1e-5 })
            #expect(abs(p.probs.reduce(0, +) - 1) < 1e-5)
            #expect(p.label == (p.probs[1] > p.probs[0] ? 1 : 0))
        }
        // stdin, one input per line, and the plain format
        let plain = try Binary.run(["predict", "--model", dir.path], stdin: texts.joined(separator: "\n") + "\n")
        #expect(plain.status == 0)
        let rows = plain.stdout.split(separator: "\n")
        #expect(rows.count == texts.count)
        for (row, w) in zip(rows, want) { #expect(row.hasPrefix(w[1] > w[0] ? "1\t" : "0\t")) }
    }

    /// `--precision bf16`: the engine's BF16 logits, bit for bit, which are not the FP32 ones.
    @Test(.enabled(if: (try? Precision.bf16.requireSupported()) != nil)) func bf16LogitsAreTheEnginesBF16Ones() throws {
        let (dir, model) = try Self.folderWithHead()
        defer { try? FileManager.default.removeItem(at: dir) }
        let texts = ["a gorgeous, witty, seductive movie.", "the plot is nothing but boilerplate clichés"]
        let out = try Binary.run(["predict", "--model", dir.path, "--json", "--precision", "bf16"] + texts)
        #expect(out.status == 0, "\(out.stderr)")
        let tok = try Tokenizer(vocabURL: dir)
        let seqs = texts.map { let e = tok.encode($0, maxLength: 128); return (e.ids, e.typeIds) }
        let bf16 = try Predictor(model: model, maxBatch: 8, maxSeq: 128, bf16: BF16Weights(model)).logits(seqs)
        let fp32 = try Predictor(model: model, maxBatch: 8, maxSeq: 128).logits(seqs)
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count == texts.count)
        for (line, (b, f)) in zip(lines, zip(bf16, fp32)) {
            let p = try Self.parse(line)
            #expect(zip(p.logits, b).allSatisfy { abs($0 - Double($1)) < 1e-6 })
            #expect(zip(p.logits, f).contains { abs($0 - Double($1)) > 1e-5 })
        }
        let bad = try Binary.run(["predict", "--model", dir.path, "--precision", "fp16", "meh"])
        #expect(bad.status == 1 && bad.stderr.contains("--precision 'fp16': expected fp32 or bf16"))
    }

    @Test func pairsUseTheSecondSegment() throws {
        let (dir, model) = try Self.folderWithHead()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Binary.run(["predict", "--model", dir.path, "--json", "--pair"],
                                 stdin: "a fine film\tit was great\nno tab here\n")
        #expect(out.status == 1)
        #expect(out.stderr.contains("input 2") && out.stderr.contains("tab"))
        let ok = try Binary.run(["predict", "--model", dir.path, "--json", "--pair", "a fine film\tit was great"])
        #expect(ok.status == 0)
        let tok = try Tokenizer(vocabURL: dir)
        let e = tok.encode("a fine film", "it was great", maxLength: 128)
        #expect(e.typeIds.contains(1))
        let want = try Predictor(model: model, maxBatch: 1, maxSeq: 128).logits([(e.ids, e.typeIds)])[0]
        let p = try Self.parse(ok.stdout.split(separator: "\n")[0])
        #expect(zip(p.logits, want).allSatisfy { abs($0 - Double($1)) < 1e-5 })
    }
}
