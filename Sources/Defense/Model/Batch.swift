/// One padded batch: `batch` sequences padded (with the config's pad id, type 0) only to the
/// longest of them, `seq`. Row-major [batch, seq].
public struct Batch: Sendable {
    public var batch: Int
    public var seq: Int
    public var ids: [Int32]
    public var typeIds: [Int32]
    /// Real (unpadded) length of each sequence; keys at or past it are masked.
    public var lengths: [Int]
    /// One label per sequence; empty for inference.
    public var labels: [Int32]
    /// Where sequence 0 sits in the training step's whole batch when this is a part of it (see
    /// `Trainer`'s shards): dropout masks are drawn at the whole batch's positions.
    public var firstSequence = 0

    public init(batch: Int, seq: Int, ids: [Int32], typeIds: [Int32], lengths: [Int], labels: [Int32] = []) {
        self.batch = batch; self.seq = seq; self.ids = ids; self.typeIds = typeIds
        self.lengths = lengths; self.labels = labels
    }

    /// Pads encoded sequences to the longest of them.
    public init(sequences: [(ids: [Int32], typeIds: [Int32])], labels: [Int32] = [], padId: Int32 = 0) {
        batch = sequences.count
        seq = sequences.map(\.ids.count).max() ?? 0
        ids = []; typeIds = []; lengths = []
        ids.reserveCapacity(batch * seq); typeIds.reserveCapacity(batch * seq)
        for s in sequences {
            ids += s.ids; ids += Array(repeating: padId, count: seq - s.ids.count)
            let t = s.typeIds.count == s.ids.count ? s.typeIds : Array(repeating: 0, count: s.ids.count)
            typeIds += t; typeIds += Array(repeating: 0, count: seq - s.ids.count)
            lengths.append(s.ids.count)
        }
        self.labels = labels
    }

    public var tokens: Int { batch * seq }

    /// Sequences `range`, padded to this batch's length (so each keeps its dropout masks).
    public func sequences(_ range: Range<Int>) -> Batch {
        let lo = range.lowerBound * seq, hi = range.upperBound * seq
        var part = Batch(batch: range.count, seq: seq, ids: Array(ids[lo..<hi]), typeIds: Array(typeIds[lo..<hi]),
                         lengths: Array(lengths[range]), labels: labels.isEmpty ? [] : Array(labels[range]))
        part.firstSequence = firstSequence + range.lowerBound
        return part
    }

    /// Checks every id against the model so bad input is one clear error, never a wild read.
    public func validate(_ c: BertConfig, needLabels: Bool) throws {
        guard batch > 0, seq > 0 else { throw FinemixError("empty batch (\(batch) sequences of length \(seq))") }
        guard ids.count == batch * seq, typeIds.count == batch * seq, lengths.count == batch else {
            throw FinemixError("batch arrays disagree: \(ids.count) ids, \(typeIds.count) type ids, \(lengths.count) lengths for \(batch)×\(seq)")
        }
        guard seq <= c.maxSequenceLength else {
            throw FinemixError("sequence length \(seq) exceeds the model's \(c.maxSequenceLength) positions")
        }
        for (i, l) in lengths.enumerated() where l < 1 || l > seq {
            throw FinemixError("sequence \(i) has length \(l); expected 1...\(seq)")
        }
        for (i, id) in ids.enumerated() where id < 0 || Int(id) >= c.vocabSize {
            throw FinemixError("token id \(id) at sequence \(i / seq), position \(i % seq) is outside the vocabulary (size \(c.vocabSize))")
        }
        // DistilBERT has no token types: transformers ignores them, and so does the engine
        for (i, t) in typeIds.enumerated() where c.family?.hasTokenTypes != false && (t < 0 || Int(t) >= c.typeVocabSize) {
            throw FinemixError("token type \(t) at sequence \(i / seq), position \(i % seq) is outside 0..<\(c.typeVocabSize)")
        }
        if needLabels {
            guard labels.count == batch else { throw FinemixError("batch has \(labels.count) labels for \(batch) sequences") }
            for (i, y) in labels.enumerated() where y < 0 || Int(y) >= c.numLabels {
                throw FinemixError("label \(y) of sequence \(i) is outside 0..<\(c.numLabels)")
            }
        }
    }
}
