import Foundation

/// Everything one fine-tuning run is configured with.
public struct TrainingSettings: Sendable, Equatable {
    public var schedule: LinearSchedule
    public var adamw: AdamWSettings
    /// Global gradient-norm limit; nil turns clipping off.
    public var maxGradNorm: Float?
    public var freezing: Freezing
    public var pruneMask: PruneMask
    /// Seeds the dropout masks (step k uses a stream derived from seed and k).
    public var seed: UInt64
    /// Dropout on (HuggingFace's train mode); off gives deterministic gradients for tests.
    public var dropout: Bool
    /// Parts each step's batch is cut into, run side by side (see `Trainer`). Part of the recipe:
    /// the gradient is summed in another order, so the bits depend on it, never on the cores.
    public var shards: Int
    /// The encoder's products, forward and backward: FP32, or BF16 operands with FP32 sums; the
    /// weights the optimizer updates stay FP32 either way (docs/bf16.md).
    public var precision: Precision

    public init(schedule: LinearSchedule, adamw: AdamWSettings = AdamWSettings(), maxGradNorm: Float? = 1.0,
                freezing: Freezing = .none, pruneMask: PruneMask = PruneMask(), seed: UInt64 = 42, dropout: Bool = true,
                shards: Int = 1, precision: Precision = .fp32) {
        self.schedule = schedule; self.adamw = adamw; self.maxGradNorm = maxGradNorm
        self.freezing = freezing; self.pruneMask = pruneMask; self.seed = seed; self.dropout = dropout
        self.shards = max(1, shards); self.precision = precision
    }
}

/// Result of one optimizer step.
public struct StepResult: Sendable {
    public var loss: Float
    public var gradNorm: Double
    public var learningRate: Float
}

/// Runs training steps on one model: forward, loss, backward, clip, AdamW, prune mask.
/// A NaN or infinite loss or gradient throws before any weight changes, so the model keeps the
/// last good weights.
///
/// With `settings.shards` = k > 1 a step's sequences are cut into k consecutive parts, and each
/// part runs forward and backward on its own core (its own activations and gradient buffer,
/// one-thread sgemm), instead of every multiply being shared by the cores: on two cores the
/// shared multiplies of short batches leave OpenBLAS's helper thread spinning for much of the
/// step. Each part draws the dropout masks of its place in the whole batch and divides its loss
/// by the whole batch's size, so the step is the unsharded step but for the order in which the
/// gradient's terms are summed (part 0's buffer + part 1's + …, in that order).
public final class Trainer: @unchecked Sendable {
    public let model: BertModel
    public let settings: TrainingSettings
    public let optimizer: AdamW
    public let segments: [Freezing.Segment]
    public private(set) var step = 0
    /// The word-embedding table updated lazily (see LazyRows); nil for the dense step.
    public let lazy: LazyRows?
    private let maxBatch: Int, maxSeq: Int
    /// Parts a full batch is cut into (`settings.shards`, at most `maxBatch`), and the sequences
    /// each part holds at most.
    private let parts: Int, partBatch: Int
    /// Per part: activations (allocated at the first step), and for parts 1..<k their gradient
    /// buffer and the table rows it holds (part 0 writes the model's own gradient).
    private var partActs: [Activations] = []
    private var partGrads: [FlatBuffer] = []
    private var partRows: [[Int]] = []
    /// At `Precision.bf16`: the weights rounded for the parts' products, again before every step
    /// (the optimizer, a prune mask or a caller may have changed them since).
    private let bf16: BF16Weights?
    /// The classifier's loss reads only each sequence's first token of the last layer.
    public static let lastLayer = LastLayerTokens.first

    /// `maxBatch`/`maxSeq` size the activations once; larger batches are an error.
    /// `lazyEmbeddings`: rows of the word-embedding table move only when a batch reads them, so
    /// between steps the table's other rows are behind until `synchronize()` (the training
    /// loop's choice; a caller that reads the weights between steps leaves it off).
    public init(model: BertModel, settings: TrainingSettings, maxBatch: Int, maxSeq: Int,
                budget: MemoryBudget = .current(), lazyEmbeddings: Bool = false) throws {
        self.model = model; self.settings = settings
        self.maxBatch = maxBatch; self.maxSeq = min(maxSeq, model.config.maxSequenceLength)
        try settings.pruneMask.validate(model.config)
        try settings.precision.requireSupported()
        // The activations are allocated at the first step; a batch that cannot fit is refused
        // here, before anything is trained or saved.
        parts = max(1, min(settings.shards, maxBatch))
        partBatch = (maxBatch + parts - 1) / parts
        try Activations.requireFits(config: model.config, maxBatch: maxBatch, maxSeq: self.maxSeq, training: true,
                                    parts: parts, gradientBytes: model.layout.count * MemoryLayout<Float>.size,
                                    precision: settings.precision, budget: budget)
        segments = try settings.freezing.segments(model.layout, decayBiasAndNorm: settings.adamw.decayBiasAndNorm)
        optimizer = AdamW(count: model.layout.count, settings: settings.adamw)
        let lay = model.layout
        lazy = lazyEmbeddings ? LazyRows(table: lay.wordEmb..<(lay.wordEmb + lay.config.vocabSize * lay.config.embeddingWidth),
                                         width: lay.config.embeddingWidth, segments: segments) : nil
        // LazyRows zeroes only the rows it touches: the table's gradient starts at zero.
        model.ensureGradients().zero()
        settings.pruneMask.apply(model.params)
        bf16 = settings.precision.weights(of: model, round: false)
    }

    public var activationBytes: Int { partActs.reduce(0) { $0 + $1.bytes } }

    /// Allocates the parts' state at the first step.
    private func allocateParts() throws {
        guard partActs.isEmpty else { return }
        for i in 0..<parts {
            let acts = try Activations(config: model.config, maxBatch: partBatch, maxSeq: maxSeq, training: true,
                                       lastLayer: Self.lastLayer)
            if let bf16 { acts.bf16 = try BF16Products(weights: bf16, maxRows: partBatch * maxSeq) }
            partActs.append(acts)
            if i > 0 { partGrads.append(FlatBuffer(count: model.layout.count)); partRows.append([]) }
        }
    }

    /// One training step on `batch`; returns its loss (before the update).
    @discardableResult
    public func step(_ batch: Batch) throws -> StepResult {
        guard batch.batch <= maxBatch else {
            throw FinemixError("batch \(batch.batch)×\(batch.seq) exceeds the activations' capacity \(maxBatch)×\(maxSeq)")
        }
        // Checked whole, so a bad id is named at its place in the batch, not in a part.
        try batch.validate(model.config, needLabels: true)
        try allocateParts()
        let grads = model.ensureGradients()
        let dropoutSeed: UInt64? = settings.dropout ? Counter.stepSeed(settings.seed, step) : nil
        lazy?.begin(ids: batch.ids, optimizer: optimizer, params: model.params.values, grads: grads)
        bf16?.refresh()
        let k = min(parts, batch.batch)
        let loss = k > 1 ? try shardedGradient(batch, parts: k, dropoutSeed: dropoutSeed)
                         : try gradient(batch, acts: partActs[0], into: grads, dropoutSeed: dropoutSeed)
        let norm: Double
        if let maxNorm = settings.maxGradNorm {
            norm = GradientClipping.clip(grads, segments: segments, maxNorm: maxNorm, lazy: lazy)
        } else {
            norm = GradientClipping.norm(grads, segments: segments, lazy: lazy)
        }
        guard norm.isFinite else {
            throw FinemixError("training stopped at step \(step + 1): the gradient norm is \(norm) (loss \(loss)); the weights of step \(step) are kept")
        }
        let lr = settings.schedule.rate(atStep: step)
        optimizer.update(params: model.params.values, grads: grads, segments: segments, lr: lr, lazy: lazy)
        if !settings.pruneMask.neurons.isEmpty { settings.pruneMask.apply(model.params) }
        step += 1
        return StepResult(loss: loss, gradNorm: norm, learningRate: lr)
    }
}

extension Trainer {
    /// Forward, loss and backward of `batch` into `grads` (zeroed first, the table's rows by
    /// `LazyRows.begin`); the loss is divided by `meanOver` sequences (the whole step's batch).
    private func gradient(_ batch: Batch, acts: Activations, into grads: FlatBuffer, dropoutSeed: UInt64?,
                          meanOver: Int? = nil) throws -> Float {
        try model.forward(batch, acts, dropoutSeed: dropoutSeed)
        let loss = try model.loss(batch, acts, gradient: true, meanOver: meanOver)
        guard loss.isFinite else {
            throw FinemixError("training stopped at step \(step + 1): the loss is \(loss); the weights of step \(step) are kept")
        }
        zeroOutsideTable(grads)
        try model.backward(batch, acts, dropoutSeed: dropoutSeed, into: grads)
        return loss
    }

    /// Zeroes the gradient but for the word-embedding table under `LazyRows` (whose rows it zeroes
    /// itself); all of it for the dense step.
    private func zeroOutsideTable(_ grads: FlatBuffer) {
        guard let lazy else { grads.zero(); return }
        for s in lazy.outside([Freezing.Segment(range: 0..<grads.count, decays: false)]) {
            grads[s.range.lowerBound].update(repeating: 0, count: s.range.count)
        }
    }

    /// The step's gradient from `parts` consecutive parts of `batch` run side by side, summed
    /// into the model's buffer in part order; returns the whole batch's mean loss.
    private func shardedGradient(_ batch: Batch, parts k: Int, dropoutSeed: UInt64?) throws -> Float {
        let B = batch.batch, grads = model.ensureGradients()
        let pieces = (0..<k).map { batch.sequences((B * $0 / k)..<(B * ($0 + 1) / k)) }
        // A part's table rows are those its ids read (checked by `step`); its other rows are zero in its buffer.
        let rows = pieces.map { p in lazy.map { _ in Set(p.ids.lazy.map(Int.init)).sorted() } ?? [] }
        for i in 1..<k {
            lazy?.zeroRows(partRows[i - 1], in: partGrads[i - 1])
            partRows[i - 1] = rows[i]
        }
        var losses = [Float](repeating: 0, count: k)
        let failures = losses.withUnsafeMutableBufferPointer { out in
            BLASThreads.sideBySide(workers: k) { i in
                out[i] = try gradient(pieces[i], acts: partActs[i], into: i == 0 ? grads : partGrads[i - 1],
                                      dropoutSeed: dropoutSeed, meanOver: B)
            }
        }
        if let error = failures.compactMap({ $0 }).first { throw error }
        for i in 1..<k { add(partGrads[i - 1], rows: rows[i], into: grads) }
        return losses.reduce(0, +)
    }

    /// grads += part, outside the table and in the part's table `rows` (everything for the dense step).
    private func add(_ part: FlatBuffer, rows: [Int], into grads: FlatBuffer) {
        let g = grads.base, p = part.base
        let ranges: [Range<Int>]
        if let lazy {
            ranges = lazy.outside([Freezing.Segment(range: 0..<grads.count, decays: false)]).map(\.range)
                + rows.map { lazy.table.lowerBound + $0 * lazy.width ..< lazy.table.lowerBound + ($0 + 1) * lazy.width }
        } else {
            ranges = [0..<grads.count]
        }
        for r in ranges where r.count >= Parallel.minimumPerThread {
            Parallel.forRange(r.count) { sub in for i in sub { g[r.lowerBound + i] += p[r.lowerBound + i] } }
        }
        for r in ranges where r.count < Parallel.minimumPerThread {
            for i in r { g[i] += p[i] }
        }
    }

    /// Brings every lazily updated row current (a no-op for the dense step).
    public func synchronize() { lazy?.synchronize(optimizer: optimizer, params: model.params.values) }
}

extension Counter {
    /// The dropout seed of training step `step`.
    public static func stepSeed(_ seed: UInt64, _ step: Int) -> UInt64 {
        mix(mix(seed) ^ UInt64(truncatingIfNeeded: step))
    }
}
