import Foundation
import Testing
@testable import Defense

/// BF16 inference (`--precision bf16`): rounding as PyTorch's, the real MiniLM's logits within
/// BF16's error of HuggingFace's FP32 ones, and a model changed between predictions never read
/// through a stale BF16 copy. Needs AVX512-BF16, as the option does; elsewhere the refusal is tested.
@Suite struct BF16Tests {
    static let supported = (try? Precision.bf16.requireSupported()) != nil

    /// Expected bits from torch 2.15: `torch.tensor(v, dtype=torch.float32).to(torch.bfloat16)`.
    @Test func roundsAsTorchDoes() {
        let cases: [(Float, UInt16)] = [
            (1.0, 0x3F80), (1.0 + 0x1p-8, 0x3F80) /* tie to even */, (1.0 + 3 * 0x1p-8, 0x3F82) /* tie, odd: up */,
            (1.0 + 0x1p-8 + 0x1p-20, 0x3F81), (-2.5, 0xC020), (Float.greatestFiniteMagnitude, 0x7F80),
            (.infinity, 0x7F80), (-.infinity, 0xFF80), (Float(bitPattern: 0x0001_16C2) /* 1e-40, subnormal */, 0x0001), (0.1, 0x3DCD), (-0.0, 0x8000),
        ]
        for (x, want) in cases { #expect(BF16.round(x) == want, "\(x)") }
        // a NaN whose payload would round into the exponent stays a NaN
        let nan = BF16.round(Float(bitPattern: 0x7F80_0001))
        #expect(nan & 0x7F80 == 0x7F80 && nan & 0x007F != 0)
        // the loop over rows agrees with the scalar rounding, strided rows included
        let src = EngineTest.randomArray(3 * 40, seed: 7, scale: 1e3) + [.nan, .infinity, 1.0 + 0x1p-8]
        var out = [UInt16](repeating: 0, count: 3 * 37)
        src.withUnsafeBufferPointer { s in BF16.convert(s.baseAddress!, rows: 3, cols: 37, stride: 41, into: &out) }
        for i in 0..<3 { for j in 0..<37 { #expect(out[i * 37 + j] == BF16.round(src[i * 41 + j])) } }
    }

    @Test(.enabled(if: supported)) func minilmLogitsStayNearHuggingFace() throws {
        let f = try EngineTest.json("minilm_logits.json")
        let (model, _) = try BertModel.load(try CheckpointFolder(try ResourceCache().minilm()))
        let head = f["head"] as! [String: Any]
        _ = model.params.view("classifier.weight")!.update(fromContentsOf: EngineTest.floats(head["classifier.weight"]))
        _ = model.params.view("classifier.bias")!.update(fromContentsOf: EngineTest.floats(head["classifier.bias"]))
        let cases = f["cases"] as! [[String: Any]]
        let seqs = cases.map { c in
            (ids: EngineTest.ints(c["ids"]).map(Int32.init), typeIds: EngineTest.ints(c["type_ids"]).map(Int32.init))
        }
        let predictor = try Predictor(model: model, maxBatch: 8, maxSeq: 128, bf16: BF16Weights(model))
        #expect(predictor.precision == .bf16)
        let logits = try predictor.logits(seqs)
        var worst: Float = 0, largest: Float = 0
        for (c, got) in zip(cases, logits) {
            let want = EngineTest.floats(c["logits"])
            for (a, b) in zip(got, want) { worst = max(worst, abs(a - b)); largest = max(largest, abs(b)) }
        }
        // BF16 keeps 8 bits of mantissa: the products move the logits by about a percent of
        // their size, far more than FP32's 1e-5, so the BF16 path is the one measured.
        #expect(worst > 1e-4, "BF16 logits equal FP32's to \(worst): the products did not run in BF16")
        #expect(worst < 0.05 * largest, "largest logit difference \(worst), largest logit \(largest)")
    }

    @Test(.enabled(if: supported)) func aChangedModelIsNeverReadThroughAStaleCopy() throws {
        let model = TinySentiment.model(seed: 3), c = model.config
        let examples = TinySentiment.examples(40)
        let tokenizer = try TinySentiment.tokenizer()
        let evaluator = try Evaluator(model: model, tokenizer: tokenizer, maxLength: 16, batch: 8, precision: .bf16)
        // weights loaded after the evaluator was made (a mixing probe fills its buffer so): the
        // first prediction reads them
        model.params.copy(from: TinySentiment.model(seed: 5).params)
        let loaded = try evaluator.predict(examples).probabilities
        #expect(loaded == (try Evaluator(model: model, tokenizer: tokenizer, maxLength: 16, batch: 8, precision: .bf16).predict(examples).probabilities))
        let before = loaded
        // every encoder weight changes: the next prediction must see it, as a new evaluator does
        for o in model.layout.layers {
            let w = model.params.values[o.interW]
            for i in 0..<(c.intermediateSize * c.hiddenSize) { w[i] = -2 * w[i] }
        }
        let after = try evaluator.predict(examples).probabilities
        let fresh = try Evaluator(model: model, tokenizer: tokenizer, maxLength: 16, batch: 8, precision: .bf16).predict(examples).probabilities
        #expect(after == fresh)
        #expect(after != before)
    }

    /// `defend --precision bf16`: the recipe records it (recipes without it are FP32, as they were
    /// run), and the before and after scores are the BF16 evaluator's.
    @Test func aDefenceRecordsItsEvaluationPrecision() throws {
        let fp32 = DefenseRecipe(method: .finemix)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(fp32)) as! [String: Any]
        #expect(json["evaluation_precision"] == nil)
        var bf16 = fp32
        bf16.evaluation = .bf16
        json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(bf16)) as! [String: Any]
        #expect(json["evaluation_precision"] as? String == "bf16")
        #expect(try JSONDecoder().decode(DefenseRecipe.self, from: JSONEncoder().encode(fp32)).evaluation == nil)
        guard Self.supported else { return }
        let dir = TempDir()
        let pre = try NumericFaultTests.folder(dir, "pre"), victim = try NumericFaultTests.folder(dir, "victim", seed: 2)
        let sentences = (0..<24).map { Example(text: "tok\(5 + $0 % 6) tok\(5 + ($0 * 5) % 7) tok\(6 + $0 % 4)", label: $0 % 2) }
        var recipe = DefenseRecipe(method: .finemix, cleanSize: 8, epochs: 1, batch: 4, maxLength: 16)
        recipe.evaluation = .bf16
        let out = try DefenseRun.run(pre: pre, victim: victim, clean: Array(sentences.prefix(8)), test: Array(sentences.suffix(16)),
                                     asrSet: [], targetLabel: 1, recipe: recipe)
        #expect(out.result.recipe.evaluation == .bf16)
        let tokenizer = try Tokenizer(vocabURL: victim.vocabURL)
        let want = try Evaluator.evaluate(model: out.model, tokenizer: tokenizer, test: Array(sentences.suffix(16)), targetLabel: 1,
                                          maxLength: 16, precision: .bf16)
        #expect(out.result.after.acc == want.acc)
    }

    @Test func anUnknownPrecisionOrAMissingInstructionSetIsOneSentence() throws {
        if Self.supported {
            #expect(Precision(rawValue: "fp16") == nil)
        } else {
            let e = #expect(throws: FinemixError.self) { try Precision.bf16.requireSupported() }
            #expect(e?.description.contains("AVX512-BF16") == true)
        }
        try Precision.fp32.requireSupported()
    }
}
