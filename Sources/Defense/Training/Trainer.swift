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
    private var acts: Activations?
    private let maxBatch: Int, maxSeq: Int

    /// `maxBatch`/`maxSeq` size the activations once; larger batches are an error.
    public init(model: BertModel, settings: TrainingSettings, maxBatch: Int, maxSeq: Int,
                budget: MemoryBudget = .current()) throws {
        self.model = model; self.settings = settings
        self.maxBatch = maxBatch; self.maxSeq = min(maxSeq, model.config.maxSequenceLength)
        try settings.pruneMask.validate(model.config)
        // The activations are allocated at the first step; a batch that cannot fit is refused
        // here, before anything is trained or saved.
        try Activations.requireFits(config: model.config, maxBatch: maxBatch, maxSeq: self.maxSeq, training: true, budget: budget)
        segments = try settings.freezing.segments(model.layout, decayBiasAndNorm: settings.adamw.decayBiasAndNorm)
        optimizer = AdamW(count: model.layout.count, settings: settings.adamw)
        _ = model.ensureGradients()
        settings.pruneMask.apply(model.params)
    }

    public var activationBytes: Int { acts?.bytes ?? 0 }

    private func activations() throws -> Activations {
        if let a = acts { return a }
        let a = try Activations(config: model.config, maxBatch: maxBatch, maxSeq: maxSeq, training: true)
        acts = a
        return a
    }

    /// One training step on `batch`; returns its loss (before the update).
    @discardableResult
    public func step(_ batch: Batch) throws -> StepResult {
        let acts = try activations()
        let grads = model.ensureGradients()
        let dropoutSeed: UInt64? = settings.dropout ? Counter.stepSeed(settings.seed, step) : nil
        try model.forward(batch, acts, dropoutSeed: dropoutSeed)
        let loss = try model.loss(batch, acts, gradient: true)
        guard loss.isFinite else {
            throw FinemixError("training stopped at step \(step + 1): the loss is \(loss); the weights of step \(step) are kept")
        }
        grads.zero()
        model.backward(batch, acts, dropoutSeed: dropoutSeed)
        let norm: Double
        if let maxNorm = settings.maxGradNorm {
            norm = GradientClipping.clip(grads, segments: segments, maxNorm: maxNorm)
        } else {
            norm = GradientClipping.norm(grads, segments: segments)
        }
        guard norm.isFinite else {
            throw FinemixError("training stopped at step \(step + 1): the gradient norm is \(norm) (loss \(loss)); the weights of step \(step) are kept")
        }
        let lr = settings.schedule.rate(atStep: step)
        optimizer.update(params: model.params.values, grads: grads, segments: segments, lr: lr)
        if !settings.pruneMask.neurons.isEmpty { settings.pruneMask.apply(model.params) }
        step += 1
        return StepResult(loss: loss, gradNorm: norm, learningRate: lr)
    }
}

extension Counter {
    /// The dropout seed of training step `step`.
    public static func stepSeed(_ seed: UInt64, _ step: Int) -> UInt64 {
        mix(mix(seed) ^ UInt64(truncatingIfNeeded: step))
    }
}
