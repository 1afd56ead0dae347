import Foundation

/// The hyper-parameters of one fine-tuning run, as every method records them (victim training,
/// EP, Fine-tuning, Fine-mixing, Fine-pruning, the workbench). Stable snake_case JSON keys.
public struct FineTuneRecipe: Sendable, Hashable, Codable {
    public var epochs: Int
    public var lr: Double
    public var batch: Int
    /// Fraction of the total steps spent warming up linearly from 0.
    public var warmupRatio: Double
    public var weightDecay: Double
    /// Tokens per sequence, [CLS]/[SEP] included.
    public var maxLength: Int
    /// Seeds the per-epoch shuffles and the dropout masks.
    public var seed: UInt64
    public var dropout: Bool
    /// Global gradient-norm limit; nil turns clipping off.
    public var maxGradNorm: Double?
    /// How each epoch is cut into batches.
    public var batchOrder: BatchOrder
    /// Parts each step's batch is cut into and run side by side (`TrainingSettings.shards`).
    public var shards: Int
    /// The encoder's products in training (`TrainingSettings.precision`); nil is FP32, as in every
    /// recipe before the choice.
    public var precision: Precision?

    /// The recipes' parts per step for new runs: one per core of the 2-core machine the engine is
    /// measured on. Fixed, never the core count, so a recipe gives the same bits on any machine.
    public static let defaultShards = 2
    public static let shardRange = 1...64

    public init(epochs: Int = 3, lr: Double = 5e-5, batch: Int = 32, warmupRatio: Double = 0, weightDecay: Double = 0.01,
                maxLength: Int = 64, seed: UInt64 = 1, dropout: Bool = true, maxGradNorm: Double? = 1.0,
                batchOrder: BatchOrder = .default, shards: Int = FineTuneRecipe.defaultShards, precision: Precision? = nil) {
        self.epochs = epochs; self.lr = lr; self.batch = batch; self.warmupRatio = warmupRatio
        self.weightDecay = weightDecay; self.maxLength = maxLength; self.seed = seed; self.dropout = dropout
        self.maxGradNorm = maxGradNorm; self.batchOrder = batchOrder
        self.shards = shards; self.precision = precision
    }

    enum CodingKeys: String, CodingKey {
        case epochs, lr, batch, seed, dropout, shards, precision, batchOrder = "batches"
        case warmupRatio = "warmup_ratio", weightDecay = "weight_decay", maxLength = "max_length", maxGradNorm = "max_grad_norm"
    }

    public func validate() throws {
        guard epochs >= 1 else { throw FinemixError("epochs must be at least 1, found \(epochs)") }
        guard lr.isFinite, lr > 0 else { throw FinemixError("learning rate must be a positive number, found \(lr)") }
        guard batch >= 1, batch <= 4096 else { throw FinemixError("batch size must be in 1...4096, found \(batch)") }
        guard warmupRatio.isFinite, warmupRatio >= 0, warmupRatio <= 1 else {
            throw FinemixError("warm-up ratio must be in [0, 1], found \(warmupRatio)")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw FinemixError("weight decay must be 0 or more, found \(weightDecay)") }
        guard maxLength >= 3 else { throw FinemixError("max length must be at least 3 tokens, found \(maxLength)") }
        if let g = maxGradNorm, !(g.isFinite && g > 0) { throw FinemixError("max gradient norm must be positive, found \(g)") }
        guard Self.shardRange.contains(shards) else {
            throw FinemixError("parts per step (--shards) must be in \(Self.shardRange.lowerBound)...\(Self.shardRange.upperBound), found \(shards)")
        }
        try precision?.requireSupported()
    }

    /// The recipe as victim cache keys spell it. An FP32 recipe reads as it did before `precision`
    /// existed, so the victims planted then are found under the same keys.
    public var cacheText: String {
        let text = String(describing: self)
        return precision == nil ? text.replacingOccurrences(of: ", precision: nil", with: "") : text
    }

    /// Optimizer steps for `examples` examples: the last batch of an epoch may be short.
    public func totalSteps(examples: Int) -> Int { epochs * ((examples + batch - 1) / batch) }

    /// The engine's settings for a run of `totalSteps` steps.
    public func trainingSettings(totalSteps: Int, freezing: Freezing = .none, pruneMask: PruneMask = PruneMask()) -> TrainingSettings {
        let warmup = Int((warmupRatio * Double(totalSteps)).rounded(.up))
        return TrainingSettings(schedule: LinearSchedule(baseRate: Float(lr), warmupSteps: warmup, totalSteps: totalSteps),
                                adamw: AdamWSettings(weightDecay: Float(weightDecay)),
                                maxGradNorm: maxGradNorm.map(Float.init), freezing: freezing, pruneMask: pruneMask,
                                seed: seed, dropout: dropout, shards: shards, precision: precision ?? .fp32)
    }
}

/// Something that takes one optimizer step on a batch: the engine's AdamW `Trainer`, or the
/// plain-gradient row update of embedding poisoning.
public protocol BatchStepper: AnyObject {
    func step(_ batch: Batch) throws -> StepResult
    /// Makes the weights those of the steps taken (the loop calls it before anything else reads them).
    func synchronize()
}

extension Trainer: BatchStepper {}

/// Tokenized examples, encoded once and reused every epoch.
public struct EncodedExamples: Sendable {
    public var ids: [[Int32]]
    public var typeIds: [[Int32]]
    public var labels: [Int32]
    public var count: Int { ids.count }

    /// Sentence pairs are encoded `[CLS] a [SEP] b [SEP]`, truncated longest-first.
    public init(_ examples: [Example], tokenizer: Tokenizer, maxLength: Int) {
        ids = []; typeIds = []; labels = []
        ids.reserveCapacity(examples.count); typeIds.reserveCapacity(examples.count); labels.reserveCapacity(examples.count)
        for e in examples {
            let enc = e.pair.map { tokenizer.encode(e.text, $0, maxLength: maxLength) } ?? tokenizer.encode(e.text, maxLength: maxLength)
            ids.append(enc.ids); typeIds.append(enc.typeIds); labels.append(Int32(e.label))
        }
    }

    /// The examples at `indices`, padded to the longest of them.
    public func batch(_ indices: ArraySlice<Int>, padId: Int32, withLabels: Bool = true) -> Batch {
        let seqs = indices.map { (ids: ids[$0], typeIds: typeIds[$0]) }
        return Batch(sequences: seqs, labels: withLabels ? indices.map { labels[$0] } : [], padId: padId)
    }
}

/// What a run did.
public struct FineTuneResult: Sendable {
    /// Loss of every step, in order.
    public var losses: [Float]
    public var steps: Int { losses.count }
    public var tokens: Int
    public var seconds: Double
    public var finalLoss: Float? { losses.last }
}

/// A live measurement during training (ACC/ASR in the TUI): called every `every` steps and after
/// the last; each returned (series, value) becomes a `.metric` event at that step.
public struct FineTuneProbe {
    public var every: Int
    public var measure: (_ step: Int) throws -> [(series: MetricSeries, value: Double)]
    public init(every: Int, measure: @escaping (_ step: Int) throws -> [(series: MetricSeries, value: Double)]) {
        self.every = every; self.measure = measure
    }
}

/// THE training loop: every method fine-tunes through here.
/// Examples are tokenized once; each epoch visits them in batches of the recipe's `BatchOrder`
/// (drawn from seed and epoch), each padded to its longest sequence. Between
/// steps it checks the cancellation flag (throwing `FinemixError.cancelled`; the model keeps the
/// weights of the last completed step) and emits progress and loss events. A NaN or infinite
/// loss stops with the engine's error, the last good weights kept.
public enum FineTune {
    /// AdamW fine-tuning of `model` (all tensors, or what `freezing` leaves trainable).
    @discardableResult
    public static func run(model: BertModel, tokenizer: Tokenizer, examples: [Example], recipe: FineTuneRecipe,
                           freezing: Freezing = .none, pruneMask: PruneMask = PruneMask(), job: String = "fine-tune",
                           events: EventSink = { _ in }, cancel: CancellationFlag? = nil,
                           probe: FineTuneProbe? = nil) throws -> FineTuneResult {
        try recipe.validate()
        let encoded = EncodedExamples(examples, tokenizer: tokenizer, maxLength: min(recipe.maxLength, model.config.maxSequenceLength))
        let total = recipe.totalSteps(examples: encoded.count)
        let trainer = try Trainer(model: model, settings: recipe.trainingSettings(totalSteps: total, freezing: freezing, pruneMask: pruneMask),
                                  // no batch holds more sequences than there are examples: the
                                  // activations need not either (batch=4096 on 64 clean examples)
                                  maxBatch: min(recipe.batch, max(1, encoded.count)), maxSeq: recipe.maxLength,
                                  lazyEmbeddings: true)
        return try loop(stepper: trainer, encoded: encoded, recipe: recipe, padId: Int32(model.config.padTokenId),
                        numLabels: model.config.numLabels, job: job, events: events, cancel: cancel, probe: probe)
    }

    /// The loop over epochs and batches with any stepper.
    public static func loop(stepper: BatchStepper, encoded: EncodedExamples, recipe: FineTuneRecipe, padId: Int32, numLabels: Int,
                            job: String, events: EventSink, cancel: CancellationFlag?, probe: FineTuneProbe?) throws -> FineTuneResult {
        try recipe.validate()
        guard encoded.count > 0 else { throw FinemixError("\(job): no training examples") }
        for (i, y) in encoded.labels.enumerated() where y < 0 || Int(y) >= numLabels {
            throw FinemixError("\(job): training example \(i + 1) has label \(y); the model has \(numLabels) classes")
        }
        let total = recipe.totalSteps(examples: encoded.count)
        let lengths = encoded.ids.map(\.count)
        // However the loop ends (done, cancelled, a bad step), the model holds the last step's weights.
        defer { stepper.synchronize() }
        var losses: [Float] = []
        losses.reserveCapacity(total)
        var tokens = 0
        let start = Date()
        var lastReport = Date.distantPast
        var step = 0
        for epoch in 0..<recipe.epochs {
            for members in recipe.batchOrder.batches(lengths: lengths, batch: recipe.batch, seed: recipe.seed, epoch: epoch) {
                cancel?.waitWhilePaused()
                if let cancel, cancel.isCancelled {
                    events(.failed(job: job, message: "cancelled after step \(step) of \(total)"))
                    throw FinemixError.cancelled
                }
                let batch = encoded.batch(members[...], padId: padId)
                let result: StepResult
                do { result = try stepper.step(batch) } catch {
                    events(.failed(job: job, message: FinemixError.describing(error).message))
                    throw error
                }
                step += 1
                tokens += batch.lengths.reduce(0, +)
                losses.append(result.loss)
                events(.metric(series: .loss, step: step, value: Double(result.loss)))
                let now = Date()
                if now.timeIntervalSince(lastReport) >= 0.25 || step == total {
                    lastReport = now
                    let elapsed = now.timeIntervalSince(start)
                    let rate = Double(tokens) / max(elapsed, 1e-9)
                    let eta = elapsed / Double(step) * Double(total - step)
                    events(.progress(JobProgress(job: job, fraction: Double(step) / Double(total), step: step, total: total,
                                                 epoch: epoch + 1, epochs: recipe.epochs, loss: Double(result.loss),
                                                 tokensPerSecond: rate, eta: eta)))
                }
                if let probe, probe.every > 0, step % probe.every == 0 || step == total {
                    stepper.synchronize()
                    for (series, value) in try probe.measure(step) { events(.metric(series: series, step: step, value: value)) }
                }
            }
        }
        stepper.synchronize()
        let seconds = Date().timeIntervalSince(start)
        events(.finished(job: job, summary: "\(step) steps in \(formatDuration(seconds)), final loss \(String(format: "%.4f", losses.last ?? .nan))"))
        return FineTuneResult(losses: losses, tokens: tokens, seconds: seconds)
    }

    /// `1m05s`, `42s`.
    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
