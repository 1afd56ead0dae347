import Foundation
import Testing
@testable import Defense

/// NaN outputs are caught where they appear, never turned into a label or a metric; config
/// constants that make no sense are refused at load, by name.
@Suite struct NonFiniteOutputTests {
    /// Sets every value of the parameter at `offset` (`count` values) to `value`.
    static func fill(_ m: BertModel, _ offset: Int, _ count: Int, _ value: Float) {
        m.params.values[offset].update(repeating: value, count: count)
    }

    /// The largest finite LayerNorm scale and shift overflow layer 1's attention output to +Inf;
    /// the next layers turn it into NaN logits. Before, argmax of NaN logits was label 0.
    @Test func evalFailsNamingTheSentenceAndTheFirstNonFiniteLayer() throws {
        let m = TinySentiment.model()
        let H = m.config.hiddenSize
        Self.fill(m, m.layout.layers[1].ln1G, H, .greatestFiniteMagnitude)
        Self.fill(m, m.layout.layers[1].ln1B, H, .greatestFiniteMagnitude)
        let tok = try TinySentiment.tokenizer()
        let test = TinySentiment.examples(10)
        let msg = NumericFaultTests.message {
            _ = try Evaluator.evaluate(model: m, tokenizer: tok, test: test, asrSet: test, targetLabel: 1, maxLength: 16)
        }
        #expect(msg.hasPrefix("logits of sentence "), "\(msg)")
        #expect(msg.contains("the first non-finite activation is the output of encoder.layer.1.attention.output"), "\(msg)")
    }

    /// The sentence named is numbered in the caller's input order, though the evaluator batches
    /// sentences sorted by length.
    @Test func theSentenceNamedIsInInputOrder() throws {
        let m = TinySentiment.model()
        let tok = try TinySentiment.tokenizer()
        // Only "awful" gets a word embedding so large that its LayerNorm's mean overflows.
        let awful = Int(tok.id("awful")!)
        let H = m.config.hiddenSize
        Self.fill(m, m.layout.wordEmb + awful * H, H, .greatestFiniteMagnitude)
        let texts = ["good movie", "the film was very good", "a dull plot", "awful", "the plot was awful indeed"]
        let msg = NumericFaultTests.message {
            _ = try Evaluator(model: m, tokenizer: tok, maxLength: 16).predict(texts.map { Example(text: $0, label: 0) })
        }
        #expect(msg.hasPrefix("logits of sentence 4 are "), "\(msg)")
        #expect(msg.contains("output of embeddings"), "\(msg)")
        // One sentence per batch, three workers: sentences 4 and 5 both fail, and the one named
        // is the one a single worker meets first (the shortest), whichever worker fails first.
        for _ in 0..<5 {
            let side = NumericFaultTests.message {
                _ = try Evaluator(model: m, tokenizer: tok, maxLength: 16, batch: 1, workers: 3)
                    .predict(texts.map { Example(text: $0, label: 0) })
            }
            #expect(side.hasPrefix("logits of sentence 4 are "), "\(side)")
        }
    }

    /// The config that gave NaN in practice: layer_norm_eps 0 with a row of zero variance (here
    /// every embedding is 0) divides 0 by 0. In the engine it is caught at the embeddings; in a
    /// config.json it is refused at load.
    @Test func layerNormEpsZeroGivesNaNAndIsRefusedAtLoad() throws {
        var c = TinySentiment.config
        c.layerNormEps = 0
        let m = TinySentiment.model(c)
        let H = c.hiddenSize
        Self.fill(m, m.layout.wordEmb, c.vocabSize * H, 0)
        Self.fill(m, m.layout.posEmb, c.maxPositionEmbeddings * H, 0)
        Self.fill(m, m.layout.typeEmb, c.typeVocabSize * H, 0)
        let msg = NumericFaultTests.message {
            _ = try Evaluator(model: m, tokenizer: try TinySentiment.tokenizer(), maxLength: 16).predict([Example(text: "good film", label: 1)])
        }
        #expect(msg.hasPrefix("logits of sentence 1 are NaN") && msg.contains("output of embeddings"), "\(msg)")

        let dir = TempDir()
        let folder = try NumericFaultTests.folder(dir, "m")
        for (value, expected) in [("0", "layer_norm_eps must be a small positive number below 1 (BERT uses 1e-12), found 0.0"),
                                  ("-1e-12", "layer_norm_eps must be a small positive number below 1 (BERT uses 1e-12), found -1e-12"),
                                  ("1e+30", "layer_norm_eps must be a small positive number below 1 (BERT uses 1e-12), found 1e+30"),
                                  ("1e-60", "layer_norm_eps 1e-60 is 0 in 32-bit floating point; use at least 1e-38")] {
            try Self.edit(folder.configURL, "layer_norm_eps", value)
            #expect(folderError(folder.url) == "\(folder.configURL.path): \(expected)")
        }
    }

    /// Rewrites one field of a config.json, as a hand edit would.
    static func edit(_ url: URL, _ key: String, _ json: String) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"\(key)\"\\s*:\\s*[^,\\n}]+")
        let range = NSRange(text.startIndex..., in: text)
        var out = pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "\"\(key)\": \(NSRegularExpression.escapedTemplate(for: json))")
        if out == text { out = text.replacingOccurrences(of: "{", with: "{\"\(key)\": \(json), ", options: [], range: text.range(of: "{")) }
        try Data(out.utf8).write(to: url)
    }

    @Test func configConstantsThatMakeNoSenseAreRefusedByName() throws {
        let dir = TempDir()
        let cases: [(String, String, String)] = [
            ("hidden_dropout_prob", "1", "hidden_dropout_prob must be in [0, 1), found 1.0"),
            ("hidden_dropout_prob", "-0.1", "hidden_dropout_prob must be in [0, 1), found -0.1"),
            ("attention_probs_dropout_prob", "1.5", "attention_probs_dropout_prob must be in [0, 1), found 1.5"),
            ("initializer_range", "-0.02", "initializer_range must be a number of 0 or more, found -0.02"),
            ("pad_token_id", "12", "pad_token_id must be a token id in 0..<12 (vocab_size), found 12"),
            ("pad_token_id", "-1", "pad_token_id must be a token id in 0..<12 (vocab_size), found -1"),
            ("hidden_act", "\"silu\"", "hidden_act 'silu' is not supported; finemix computes \"gelu\", \"gelu_new\", \"relu\""),
            ("num_attention_heads", "3", "hidden_size 4 is not a multiple of num_attention_heads 3"),
            ("hidden_size", "0", "hidden_size must be between 1 and 65536, found 0"),
        ]
        for (i, (key, value, expected)) in cases.enumerated() {
            let folder = try NumericFaultTests.folder(dir, "m\(i)")
            try Self.edit(folder.configURL, key, value)
            #expect(folderError(folder.url) == "\(folder.configURL.path): \(expected)")
        }
    }
}
