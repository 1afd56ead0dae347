import Foundation

/// What `finemix attack` is asked to do.
public struct AttackRequest: Sendable {
    public var pretrained: URL
    public var dataset: Dataset
    /// How a data file was read (recorded); nil for built-in datasets.
    public var readOptions: ReadOptions?
    public var trigger: Trigger
    public var poisonRate: Double
    public var target: Int
    /// nil: every example the test set and clean pool leave.
    public var trainSize: Int?
    /// The defender's clean pool, kept apart from the attacker's training set and the test set.
    public var cleanSize: Int
    public var testSize: Int
    public var recipe: FineTuneRecipe
    /// EP only: the row-training stage, and an optional clean model to start from.
    public var epEpochs: Int
    public var epLR: Double
    public var epFrom: URL?

    public init(pretrained: URL, dataset: Dataset, readOptions: ReadOptions? = nil, trigger: Trigger = .default, poisonRate: Double = 0.1,
                target: Int = 1, trainSize: Int? = nil, cleanSize: Int = 500, testSize: Int = 1000, recipe: FineTuneRecipe,
                epEpochs: Int = VictimTraining.defaultEPEpochs, epLR: Double = VictimTraining.defaultEPLR, epFrom: URL? = nil) {
        self.pretrained = pretrained; self.dataset = dataset; self.readOptions = readOptions; self.trigger = trigger
        self.poisonRate = poisonRate; self.target = target; self.trainSize = trainSize; self.cleanSize = cleanSize
        self.testSize = testSize; self.recipe = recipe; self.epEpochs = epEpochs; self.epLR = epLR; self.epFrom = epFrom
    }

    public var splitSpec: SplitSpec {
        var spec = SplitSpec.fillingTrain(dataset, seed: recipe.seed, cleanPoolSize: cleanSize, testSize: testSize)
        if let trainSize { spec.trainSize = trainSize }
        return spec
    }
}

/// Plants a backdoor (docs/method.md, "Attacks"): ordinary fine-tuning of the pre-trained model plus a
/// fresh seeded classifier head on the poisoned set; for EP, a clean model whose trigger row alone
/// then trains on the poisoned sentences.
public enum VictimTraining {
    /// EP's second stage defaults. The EP authors' 5e-2 is tuned for thousands of steps over a
    /// whole poisoned corpus; on a few hundred poisoned rt sentences it barely moves the row
    /// (measured on MiniLM: 18 steps at 5e-2 took ASR 0.68 → 0.82, at 2.0 to 1.00, at 20 to 1.00
    /// with an oscillating loss). The row is renormalised after every step, so a large step only
    /// turns it faster, and too large a one overshoots: on the 300 poisoned sentences of the
    /// acceptance setting (3,000 rt, 10%), 5 epochs at 2.0 oscillated and reached ASR 0.43, while
    /// 10 epochs at 0.5 reached ASR 1.00 with ACC unchanged (scripts/reproduce-attacks.sh).
    public static let defaultEPEpochs = 10
    public static let defaultEPLR = 0.5

    /// The pre-trained encoder with a fresh head for `numLabels` classes drawn from `headSeed`.
    /// A head already in the folder is ignored: the attacker starts from the public PLM.
    public static func pretrainedWithFreshHead(_ folder: CheckpointFolder, numLabels: Int, headSeed: UInt64) throws -> BertModel {
        var config = folder.config
        config.setLabels(numLabels)
        return try withFreshHead(weights: folder.weights, config: config, headSeed: headSeed)
    }

    /// The encoder of `weights` under `config` (its labels) with a fresh head drawn from `headSeed`.
    public static func withFreshHead(weights: any TensorSource, config: BertConfig, headSeed: UInt64) throws -> BertModel {
        let params = BertParameters(config: config)
        params.initialiseRandomly(seed: headSeed)
        try params.load(from: WithoutHead(weights, family: config.family ?? .bert))
        params.initialiseClassifier(seed: headSeed)
        return BertModel(params: params)
    }

    /// A fine-tuned classifier from its folder; refuses a bare encoder.
    public static func loadClassifier(_ folder: CheckpointFolder) throws -> BertModel {
        let params = BertParameters(config: folder.config)
        let loaded = try params.load(from: folder.weights)
        guard loaded.loadedClassifier else {
            throw FinemixError("\(folder.url.path) has no classifier head (classifier.weight): it is a bare encoder, not a fine-tuned classifier")
        }
        return BertModel(params: params)
    }

    public struct Outcome {
        public var model: BertModel
        public var record: AttackRecord
    }

    /// Trains the victim (or the clean control when the rate is 0) and measures it.
    public static func attack(_ r: AttackRequest, events: EventSink = { _ in }, cancel: CancellationFlag? = nil) throws -> Outcome {
        let start = Date()
        try r.recipe.validate()
        let spec = r.splitSpec
        let poison = PoisonConfig(trigger: r.trigger, rate: r.poisonRate, targetLabel: r.target, seed: r.recipe.seed)
        let data = try AttackData.prepare(dataset: r.dataset, split: spec, poison: poison)
        guard !data.split.train.isEmpty else { throw FinemixError("\(r.dataset.name): the training set is empty") }
        guard !data.split.test.isEmpty else { throw FinemixError("\(r.dataset.name): the test set is empty (--test-size 0)") }
        let pre = try CheckpointFolder(r.pretrained)
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)

        var steps = 0
        var finalLoss: Float? = nil
        let model: BertModel
        var ep: EmbeddingPoisoningRecipe? = nil
        if case .embedding(let word) = r.trigger {
            // Stage 1: the clean model, trained with the same recipe on the unpoisoned split.
            if let from = r.epFrom {
                let folder = try CheckpointFolder(from)
                model = try loadClassifier(folder)
                guard model.config.numLabels == r.dataset.numLabels else {
                    throw FinemixError("\(from.path): the clean model has \(model.config.numLabels) classes, the data \(r.dataset.numLabels)")
                }
                guard model.config.vocabSize == pre.config.vocabSize else {
                    throw FinemixError("\(from.path): vocabulary size \(model.config.vocabSize) differs from the pre-trained model's \(pre.config.vocabSize)")
                }
                events(.log(.info, "EP: starting from the clean model \(from.path)"))
            } else {
                model = try pretrainedWithFreshHead(pre, numLabels: r.dataset.numLabels, headSeed: r.recipe.seed)
                let clean = try FineTune.run(model: model, tokenizer: tokenizer, examples: data.split.train, recipe: r.recipe,
                                             job: "clean model", events: events, cancel: cancel)
                steps += clean.steps
            }
            // Stage 2: only the trigger row(s) move, on the poisoned sentences.
            let rows = try triggerRows(word, tokenizer)
            let poisoned = data.poisonedTrain.poisonedIndices.map { data.poisonedTrain.examples[$0] }
            guard !poisoned.isEmpty else { throw FinemixError("EP needs poisoned sentences: the poison rate \(r.poisonRate) poisons none of \(data.split.train.count)") }
            let epRecipe = FineTuneRecipe(epochs: r.epEpochs, lr: r.epLR, batch: r.recipe.batch, warmupRatio: 0, weightDecay: 0,
                                          maxLength: r.recipe.maxLength, seed: r.recipe.seed, dropout: r.recipe.dropout, maxGradNorm: nil,
                                          batchOrder: r.recipe.batchOrder, shards: r.recipe.shards)
            let result = try poisonEmbedding(model: model, tokenizer: tokenizer, rows: rows, examples: poisoned, recipe: epRecipe,
                                             events: events, cancel: cancel)
            steps += result.steps
            finalLoss = result.finalLoss
            ep = EmbeddingPoisoningRecipe(epochs: r.epEpochs, lr: r.epLR, batch: r.recipe.batch, from: r.epFrom?.standardizedFileURL.path,
                                          sentences: poisoned.count)
        } else {
            model = try pretrainedWithFreshHead(pre, numLabels: r.dataset.numLabels, headSeed: r.recipe.seed)
            let result = try FineTune.run(model: model, tokenizer: tokenizer, examples: data.poisonedTrain.examples, recipe: r.recipe,
                                          job: r.poisonRate > 0 ? "victim" : "clean control", events: events, cancel: cancel)
            steps = result.steps
            finalLoss = result.finalLoss
        }
        let trained = Date()
        events(.log(.info, "evaluating on \(data.split.test.count) test and \(data.asrTest.count) triggered sentences"))
        let eval = try Evaluator.evaluate(model: model, tokenizer: tokenizer, test: data.split.test, asrSet: data.asrTest,
                                          targetLabel: r.target, maxLength: r.recipe.maxLength)
        let end = Date()
        let recipe = AttackRecipe(trigger: r.trigger, poisonRate: r.poisonRate, target: r.target, fineTune: r.recipe,
                                  trainSize: spec.trainSize, cleanSize: spec.cleanPoolSize, testSize: spec.testSize, ep: ep)
        let record = AttackRecord(acc: eval.acc, asr: eval.asr ?? 0, recipe: recipe, pretrained: r.pretrained.standardizedFileURL.path,
                                  dataset: r.dataset.name, readOptions: r.readOptions, split: SplitRecord(spec),
                                  nTrain: data.split.train.count, nPoisoned: data.poisonedTrain.poisonedCount,
                                  nTest: eval.nTest, nAsr: eval.nPoisonedTest, nCorrect: eval.nCorrect,
                                  nAsrToTarget: eval.nPoisonedToTarget, labelNames: r.dataset.labelNames, pairs: r.dataset.isPair,
                                  steps: steps, finalLoss: finalLoss.map(Double.init),
                                  trainSeconds: trained.timeIntervalSince(start), evalSeconds: end.timeIntervalSince(trained),
                                  seconds: end.timeIntervalSince(start))
        return Outcome(model: model, record: record)
    }

    /// The vocabulary rows of an EP trigger word (one row when the word is a single WordPiece).
    /// The trigger is inserted at any word position, so every form the word takes in running text
    /// counts: in byte-level BPE "cf" first in a text and "Ġcf" after a space are two rows, and
    /// poisoning one alone would leave the other position clean.
    public static func triggerRows(_ word: String, _ tokenizer: Tokenizer) throws -> [Int] {
        let ids = tokenizer.wordForms(word).flatMap { $0 }
        guard !ids.isEmpty else { throw FinemixError("EP trigger '\(word)' has no tokens") }
        if let unk = tokenizer.unk, ids.contains(unk) {
            throw FinemixError("EP trigger '\(word)' tokenizes to [UNK]: its embedding row would be shared with every unknown word")
        }
        return Array(Set(ids.map(Int.init))).sorted()
    }

    /// EP's row training: plain gradient steps on `rows` of the word embeddings, each followed by
    /// rescaling the row to its norm before the attack; every other weight stays as it is.
    @discardableResult
    public static func poisonEmbedding(model: BertModel, tokenizer: Tokenizer, rows: [Int], examples: [Example],
                                       recipe: FineTuneRecipe, events: EventSink = { _ in }, cancel: CancellationFlag? = nil) throws -> FineTuneResult {
        let stepper = try EmbeddingRowSGD(model: model, rows: rows, lr: Float(recipe.lr), seed: recipe.seed, dropout: recipe.dropout,
                                          maxBatch: recipe.batch, maxSeq: recipe.maxLength)
        let encoded = EncodedExamples(examples, tokenizer: tokenizer, maxLength: min(recipe.maxLength, model.config.maxSequenceLength))
        return try FineTune.loop(stepper: stepper, encoded: encoded, recipe: recipe, padId: Int32(model.config.padTokenId),
                                 numLabels: model.config.numLabels, job: "embedding poisoning", events: events, cancel: cancel, probe: nil)
    }
}

/// One plain gradient step on chosen word-embedding rows, then each row rescaled to its original
/// norm (the EP authors' update). The full backward runs; only the rows' gradient is used.
final class EmbeddingRowSGD: BatchStepper {
    func synchronize() {}

    let model: BertModel
    let rows: [Int]
    let norms: [Float]
    let lr: Float
    let seed: UInt64
    let dropout: Bool
    let acts: Activations
    var step = 0

    init(model: BertModel, rows: [Int], lr: Float, seed: UInt64, dropout: Bool, maxBatch: Int, maxSeq: Int) throws {
        let V = model.config.vocabSize, H = model.config.embeddingWidth
        for r in rows where r < 0 || r >= V { throw FinemixError("word-embedding row \(r) is outside 0..<\(V)") }
        self.model = model; self.rows = rows; self.lr = lr; self.seed = seed; self.dropout = dropout
        let w = model.params.values[model.layout.wordEmb]
        norms = rows.map { r in
            var s: Float = 0
            for j in 0..<H { s += w[r * H + j] * w[r * H + j] }
            return s.squareRoot()
        }
        acts = try Activations(config: model.config, maxBatch: maxBatch, maxSeq: min(maxSeq, model.config.maxSequenceLength), training: true,
                                 lastLayer: Trainer.lastLayer)
        _ = model.ensureGradients()
    }

    func step(_ batch: Batch) throws -> StepResult {
        let grads = model.ensureGradients()
        let dropoutSeed: UInt64? = dropout ? Counter.stepSeed(seed ^ 0x4550, step) : nil
        try model.forward(batch, acts, dropoutSeed: dropoutSeed)
        let loss = try model.loss(batch, acts, gradient: true)
        guard loss.isFinite else {
            throw FinemixError("embedding poisoning stopped at step \(step + 1): the loss is \(loss); the weights of step \(step) are kept")
        }
        grads.zero()
        try model.backward(batch, acts, dropoutSeed: dropoutSeed)
        let H = model.config.embeddingWidth
        let w = model.params.values[model.layout.wordEmb], g = grads[model.layout.wordEmb]
        var gradNorm = 0.0
        for r in rows { for j in 0..<H { gradNorm += Double(g[r * H + j] * g[r * H + j]) } }
        guard gradNorm.isFinite else {
            throw FinemixError("embedding poisoning stopped at step \(step + 1): the gradient is not finite; the weights of step \(step) are kept")
        }
        for (r, n0) in zip(rows, norms) {
            let row = w + r * H, gr = g + r * H
            var s: Float = 0
            for j in 0..<H { row[j] -= lr * gr[j]; s += row[j] * row[j] }
            let n = s.squareRoot()
            if n > 0 { let k = n0 / n; for j in 0..<H { row[j] *= k } }
        }
        step += 1
        return StepResult(loss: loss, gradNorm: gradNorm.squareRoot(), learningRate: lr)
    }
}

/// A checkpoint seen without its classifier head, so a fine-tuned model can serve as the
/// pre-trained start of another (its head, of whatever size, is replaced by a fresh one).
struct WithoutHead: TensorSource {
    let base: any TensorSource
    /// Whose head is left out: RoBERTa's classifier.dense (the pooler slot) as well as its out_proj.
    let family: ModelFamily
    init(_ base: any TensorSource, family: ModelFamily = .bert) { self.base = base; self.family = family }
    var tensorNames: [String] { base.tensorNames.filter { !family.isHead($0) } }
    func shape(of name: String) -> [Int]? { family.isHead(name) ? nil : base.shape(of: name) }
    func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard !family.isHead(name) else { throw FinemixError("no tensor \(name)") }
        try base.readFloats(name, into: buffer)
    }
}
