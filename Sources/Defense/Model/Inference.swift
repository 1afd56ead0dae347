/// Evaluation-mode inference (no dropout) in batches, reusing one set of activations.
///
/// The batch asked for is an upper bound: the activations hold at most as many sequences as fit
/// in half the memory available (and 2 GB), and larger requests run in micro-batches of that
/// size. A sequence's logits do not depend on its batch-mates, so the answers are the same.
public final class Predictor: @unchecked Sendable {
    public let model: BertModel
    private let acts: Activations

    /// Inference gains nothing from batches past a few hundred sequences; the cap keeps a large
    /// --batch-size from taking the machine's memory.
    public static let maxActivationBytes = 2 << 30
    /// The logits read only each sequence's first token of the last layer.
    public static let lastLayer = LastLayerTokens.first

    /// `bf16`: the model's weights in BF16 (made once and shared by an evaluation's workers); the
    /// encoder's products then run in BF16 (`Precision.bf16`), otherwise in FP32.
    public init(model: BertModel, maxBatch: Int, maxSeq: Int, budget: MemoryBudget = .current(),
                bf16: BF16Weights? = nil) throws {
        self.model = model
        let seq = min(maxSeq, model.config.maxSequenceLength)
        let fit = Self.largestBatch(model.config, maxBatch: maxBatch, maxSeq: seq, budget: budget, precision: bf16 == nil ? .fp32 : .bf16)
        // When not even one sequence fits in the share, try one against the whole budget: it
        // either fits or is refused naming what it needs.
        acts = try Activations(config: model.config, maxBatch: max(1, fit), maxSeq: seq, training: false, lastLayer: Self.lastLayer,
                               budget: budget)
        if let bf16 { acts.bf16 = try BF16Products(weights: bf16, maxRows: acts.maxBatch * seq) }
    }

    public var precision: Precision { acts.bf16 == nil ? .fp32 : .bf16 }

    public var maxBatch: Int { acts.maxBatch }

    /// The most sequences (up to `maxBatch`) whose activations fit in a predictor's share of
    /// `budget`: half of it, and at most `maxActivationBytes` (BF16's rounded inputs included).
    public static func largestBatch(_ config: BertConfig, maxBatch: Int, maxSeq: Int, budget: MemoryBudget,
                                    precision: Precision = .fp32) -> Int {
        Activations.largestBatch(config: config, maxSeq: maxSeq, training: false, limit: maxBatch,
                                 within: min(budget.bytes / 2, maxActivationBytes), precision: precision)
    }

    /// Logits [batch][numLabels]. `numbers` name the sequences in a failure (1-based positions in
    /// the caller's input; default: positions in the batch).
    public func logits(_ batch: Batch, numbers: [Int]? = nil) throws -> [[Float]] {
        let out = try model.forward(batch, acts, dropoutSeed: nil)
        let L = model.config.numLabels
        let all = UnsafeBufferPointer(start: out, count: batch.batch * L)
        if NonFiniteWeights.count(all) > 0 {
            throw diagnose(batch, logits: all, numbers: numbers ?? Array(1...batch.batch))
        }
        return (0..<batch.batch).map { b in Array(UnsafeBufferPointer(start: out + b * L, count: L)) }
    }

    /// Logits for any number of encoded sequences, `maxBatch` at a time, each batch padded to its
    /// own longest sequence. `firstNumber` is the first sequence's 1-based position, for messages.
    public func logits(_ sequences: [(ids: [Int32], typeIds: [Int32])], firstNumber: Int = 1) throws -> [[Float]] {
        var all: [[Float]] = []
        all.reserveCapacity(sequences.count)
        var start = 0
        while start < sequences.count {
            let end = min(sequences.count, start + acts.maxBatch)
            let batch = Batch(sequences: Array(sequences[start..<end]), padId: Int32(model.config.padTokenId))
            all += try logits(batch, numbers: Array((firstNumber + start)..<(firstNumber + end)))
            start = end
        }
        return all
    }

    // MARK: non-finite outputs

    /// Names the first sequence with NaN or Inf logits and, re-running it alone with every stage
    /// checked, the first layer whose output is not finite: NaN logits must never become a label.
    private func diagnose(_ batch: Batch, logits: UnsafeBufferPointer<Float>, numbers: [Int]) -> FinemixError {
        let L = model.config.numLabels
        let bad = (0..<batch.batch).filter { b in
            NonFiniteWeights.count(UnsafeBufferPointer(rebasing: logits[(b * L)..<((b + 1) * L)])) > 0
        }
        let b = bad.min { numbers[$0] < numbers[$1] }!
        // bit patterns, not isNaN: -Ounchecked's fast-math may fold isNaN away
        let nan = logits[(b * L)..<((b + 1) * L)].contains { $0.bitPattern & 0x7f80_0000 == 0x7f80_0000 && $0.bitPattern & 0x007f_ffff != 0 }
        let kind = nan ? "NaN" : "infinite"
        let others = bad.count > 1 ? " (and those of \(bad.count - 1) more in its batch)" : ""
        let where_ = firstNonFiniteStage(batch, row: b) ?? "the classifier"
        return FinemixError("logits of sentence \(numbers[b]) are \(kind)\(others); the first non-finite activation is the output of \(where_). The model's weights or config.json make the computation overflow; no prediction or metric is given from NaN")
    }

    private func firstNonFiniteStage(_ batch: Batch, row b: Int) -> String? {
        let n = batch.lengths[b], S = batch.seq
        let one = Batch(batch: 1, seq: n, ids: Array(batch.ids[(b * S)..<(b * S + n)]),
                        typeIds: Array(batch.typeIds[(b * S)..<(b * S + n)]), lengths: [n])
        struct Found: Error { let stage: String }
        // every token of the last layer, as in the other layers: the first non-finite stage of
        // any token is named, not only of those the classifier reads
        acts.lastLayer = .all
        defer { acts.lastLayer = Self.lastLayer }
        do {
            try model.forward(one, acts, dropoutSeed: nil) { stage, values in
                if NonFiniteWeights.count(values) > 0 { throw Found(stage: stage) }
            }
        } catch let f as Found {
            return f.stage
        } catch {
            return nil
        }
        return nil
    }
}
