/// Evaluation-mode inference (no dropout) in batches, reusing one set of activations.
public final class Predictor: @unchecked Sendable {
    public let model: BertModel
    private let acts: Activations

    public init(model: BertModel, maxBatch: Int, maxSeq: Int) {
        self.model = model
        acts = Activations(config: model.config, maxBatch: maxBatch,
                           maxSeq: min(maxSeq, model.config.maxPositionEmbeddings), training: false)
    }

    public var maxBatch: Int { acts.maxBatch }

    /// Logits [batch][numLabels].
    public func logits(_ batch: Batch) throws -> [[Float]] {
        let out = try model.forward(batch, acts, dropoutSeed: nil)
        let L = model.config.numLabels
        return (0..<batch.batch).map { b in Array(UnsafeBufferPointer(start: out + b * L, count: L)) }
    }

    /// Logits for any number of encoded sequences, `maxBatch` at a time, each batch padded to its
    /// own longest sequence.
    public func logits(_ sequences: [(ids: [Int32], typeIds: [Int32])]) throws -> [[Float]] {
        var all: [[Float]] = []
        all.reserveCapacity(sequences.count)
        var start = 0
        while start < sequences.count {
            let end = min(sequences.count, start + acts.maxBatch)
            let batch = Batch(sequences: Array(sequences[start..<end]), padId: Int32(model.config.padTokenId))
            all += try logits(batch)
            start = end
        }
        return all
    }
}
