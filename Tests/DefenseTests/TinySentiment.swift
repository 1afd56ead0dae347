import Testing
@testable import Defense

/// A tiny BERT and a toy sentiment task (one polar word among filler words, lengths varying so
/// padding is exercised), shared by the tests of the training loop and of the methods built on it.
enum TinySentiment {
    static let words = ["good", "great", "fine", "bad", "awful", "dull", "the", "movie", "film", "plot", "was", "a", "very", "cf"]

    static func tokenizer() throws -> Tokenizer {
        Tokenizer(vocab: try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words))
    }

    static var config: BertConfig { config() }

    /// The tiny BERT (hidden 16, 2 layers, 4 heads, 2 labels); other tests size its vocabulary and positions.
    static func config(vocab: Int = 5 + words.count, positions: Int = 32) -> BertConfig {
        var c = BertConfig()
        c.vocabSize = vocab; c.hiddenSize = 16; c.numHiddenLayers = 2; c.numAttentionHeads = 4
        c.intermediateSize = 32; c.maxPositionEmbeddings = positions
        c.setLabels(2)
        return c
    }

    static func model(_ config: BertConfig = config, seed: UInt64 = 1) -> BertModel {
        let m = BertModel(config: config)
        m.params.initialiseRandomly(seed: seed)
        return m
    }

    /// Label 1 when a positive word occurs; lengths vary so padding is exercised.
    static func examples(_ n: Int, seed: UInt64 = 3) -> [Example] {
        var r = SeededRandom(seed: seed)
        let filler = ["the", "movie", "film", "plot", "was", "a", "very"]
        return (0..<n).map { i in
            let positive = i % 2 == 0
            var w = (0..<(2 + r.below(8))).map { _ in filler[r.below(filler.count)] }
            w.insert(positive ? ["good", "great", "fine"][r.below(3)] : ["bad", "awful", "dull"][r.below(3)], at: r.below(w.count + 1))
            return Example(text: w.joined(separator: " "), label: positive ? 1 : 0)
        }
    }
}
