/// Maps between the names a checkpoint stores and the canonical names the engine uses.
///
/// HuggingFace writes a bare `BertModel` without a prefix (`embeddings.word_embeddings.weight`)
/// and a `BertForSequenceClassification` with `bert.` on every encoder tensor and a bare
/// `classifier.*` head. Canonical names are the bare ones; `classifier.*` stays as it is.
public enum CheckpointNames {
    public static let prefix = "bert."

    /// The canonical name of a stored name: `bert.` removed when present, and the TensorFlow-era
    /// `LayerNorm.gamma`/`LayerNorm.beta` (still in the original bert-base-uncased files) renamed
    /// to `weight`/`bias`, as transformers does when it loads them.
    /// Other families map their names onto BERT's (see ModelFamily.canonical).
    public static func canonical(_ stored: String) -> String {
        ModelFamily.bert.canonical(stored) ?? stored
    }

    /// Canonical name → stored name for a whole checkpoint. Throws, naming the file and tensor,
    /// when one tensor is stored under two forms (`bert.x` and `x`, or `gamma` and `weight`):
    /// which one the model would use is then a guess.
    /// Tensors the family's classifier does not use (RoBERTa's pooler, ...) are left out.
    public static func canonicalMap(_ stored: [String], file: String, family: ModelFamily = .bert) throws -> [String: String] {
        var map: [String: String] = [:]
        map.reserveCapacity(stored.count)
        for name in stored {
            guard let c = family.canonical(name) else { continue }
            if let other = map[c] {
                throw FinemixError("\(file): tensor \(c) is stored twice, as '\(other)' and as '\(name)'; keep one of them")
            }
            map[c] = name
        }
        return map
    }

    /// The name to store a canonical tensor under. A checkpoint with a classifier head is saved
    /// as HuggingFace's `BertForSequenceClassification` does (`bert.` on all but `classifier.*`);
    /// one without a head is saved bare, as `BertModel` does.
    public static func stored(_ canonical: String, withHead: Bool, family: ModelFamily = .bert) -> String {
        guard !canonical.hasPrefix(family.prefix) else { return canonical }
        return family.stored(canonical, withHead: withHead)
    }

    public static func isHead(_ canonical: String, family: ModelFamily = .bert) -> Bool {
        family.isHead(canonical)
    }
}
