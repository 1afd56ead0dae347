import Foundation

extension CheckpointFolder {
    /// A victim is mixed with, compared to or purified against the pre-trained model it was
    /// fine-tuned from, row by row of the word embeddings: both must have one vocabulary. Refuses
    /// a difference in vocab_size, in the number of vocab.txt lines, or in any line, naming both
    /// files and both sizes (or the first line that differs).
    public static func checkSameVocabulary(pre: CheckpointFolder, victim: CheckpointFolder) throws {
        try checkSameFamily(pre: pre.config, victim: victim.config, prePath: pre.configURL.path, victimPath: victim.configURL.path)
        let a = pre.config.vocabSize, b = victim.config.vocabSize
        guard a == b else {
            throw FinemixError("different vocabularies: \(pre.configURL.path) has vocab_size \(a) but \(victim.configURL.path) has vocab_size \(b); the victim must be fine-tuned from this pre-trained model")
        }
        // A victim saved by the same tokenizer has the same file byte for byte: no need to parse
        // two tokenizer.json files (a third of a second each for a 30k vocabulary) to know it.
        let (urlA, urlB) = (try pre.vocabURL, try victim.vocabURL)
        if urlA.lastPathComponent == urlB.lastPathComponent,
           let bytesA = try? Data(contentsOf: urlA), let bytesB = try? Data(contentsOf: urlB), bytesA == bytesB { return }
        let ta = try Drift.vocabularyLines(urlA), tb = try Drift.vocabularyLines(urlB)
        guard ta.count == tb.count else {
            throw FinemixError("different vocabularies: \(pre.vocabPath.path) has \(ta.count) tokens but \(victim.vocabPath.path) has \(tb.count); the victim must be fine-tuned from this pre-trained model")
        }
        if let i = ta.indices.first(where: { ta[$0] != tb[$0] }) {
            let place = pre.vocabPath.lastPathComponent == TokenizerFiles.wordPieceVocab ? "line \(i + 1)" : "token \(i)"
            throw FinemixError("different vocabularies: \(place) is '\(ta[i])' in \(pre.vocabPath.path) but '\(tb[i])' in \(victim.vocabPath.path) (both have \(ta.count) tokens); the victim must be fine-tuned from this pre-trained model")
        }
    }

    /// Tensors of two families sit in different slots of different maths: mixing a RoBERTa victim
    /// with a BERT would be numbers without meaning, so it is refused first, naming both.
    public static func checkSameFamily(pre: BertConfig, victim: BertConfig, prePath: String, victimPath: String) throws {
        guard pre.modelType == victim.modelType else {
            throw FinemixError("different model families: \(prePath) is \(pre.modelType) but \(victimPath) is \(victim.modelType); the victim must be fine-tuned from a pre-trained model of its own family")
        }
    }
}
