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

    public init(schedule: LinearSchedule, adamw: AdamWSettings = AdamWSettings(), maxGradNorm: Float? = 1.0,
                freezing: Freezing = .none, pruneMask: PruneMask = PruneMask(), seed: UInt64 = 42, dropout: Bool = true) {
        self.schedule = schedule; self.adamw = adamw; self.maxGradNorm = maxGradNorm
        self.freezing = freezing; self.pruneMask = pruneMask; self.seed = seed; self.dropout = dropout
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
public final class Trainer: @unchecked Sendable {
    public let model: BertModel
    public let settings: TrainingSettings
    public let optimizer: AdamW
    public let segments: [Freezing.Segment]
    public private(set) var step = 0
    /// The word-embedding table updated lazily (see LazyRows); nil for the dense step.
    public let lazy: LazyRows?
    private var acts: Activations?
    private let maxBatch: Int, maxSeq: Int
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
        // The activations are allocated at the first step; a batch that cannot fit is refused
        // here, before anything is trained or saved.
        try Activations.requireFits(config: model.config, maxBatch: maxBatch, maxSeq: self.maxSeq, training: true, budget: budget)
        segments = try settings.freezing.segments(model.layout, decayBiasAndNorm: settings.adamw.decayBiasAndNorm)
        optimizer = AdamW(count: model.layout.count, settings: settings.adamw)
        let lay = model.layout
        lazy = lazyEmbeddings ? LazyRows(table: lay.wordEmb..<(lay.wordEmb + lay.config.vocabSize * lay.config.embeddingWidth),
                                         width: lay.config.embeddingWidth, segments: segments) : nil
        // LazyRows zeroes only the rows it touches: the table's gradient starts at zero.
        model.ensureGradients().zero()
        settings.pruneMask.apply(model.params)
    }

    public var activationBytes: Int { acts?.bytes ?? 0 }

    private func activations() throws -> Activations {
        if let a = acts { return a }
        let a = try Activations(config: model.config, maxBatch: maxBatch, maxSeq: maxSeq, training: true, lastLayer: Self.lastLayer)
        acts = a
        return a
    }

    /// One training step on `batch`; returns its loss (before the update).
    @discardableResult
    public func step(_ batch: Batch) throws -> StepResult {
        let acts = try activations()
        let grads = model.ensureGradients()
        let dropoutSeed: UInt64? = settings.dropout ? Counter.stepSeed(settings.seed, step) : nil
        lazy?.begin(ids: batch.ids, optimizer: optimizer, params: model.params.values, grads: grads)
        try model.forward(batch, acts, dropoutSeed: dropoutSeed)
        let loss = try model.loss(batch, acts, gradient: true)
        guard loss.isFinite else {
            throw FinemixError("training stopped at step \(step + 1): the loss is \(loss); the weights of step \(step) are kept")
        }
        if let lazy {
            // The table's gradient is zero but for the rows `begin` zeroed.
            for s in lazy.outside([Freezing.Segment(range: 0..<grads.count, decays: false)]) {
                grads[s.range.lowerBound].update(repeating: 0, count: s.range.count)
            }
        } else {
            grads.zero()
        }
        model.backward(batch, acts, dropoutSeed: dropoutSeed)
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
    /// Brings every lazily updated row current (a no-op for the dense step).
    public func synchronize() { lazy?.synchronize(optimizer: optimizer, params: model.params.values) }
}

extension Counter {
    /// The dropout seed of training step `step`.
    public static func stepSeed(_ seed: UInt64, _ step: Int) -> UInt64 {
        mix(mix(seed) ^ UInt64(truncatingIfNeeded: step))
    }
}
