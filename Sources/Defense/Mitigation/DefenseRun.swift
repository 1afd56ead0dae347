import Foundation

/// One defence, as every front end (defend, sweep, compare, the workbench) asks for it.
/// Stable snake_case JSON keys: `defense.json` and the compare report record it whole.
public struct DefenseRecipe: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable, CaseIterable {
        /// (E-PUR?) → mix ρ → fine-tune (docs/method.md, "Fine-mixing").
        case finemix
        /// (E-PUR?) → fine-tune the victim.
        case finetune
        /// (E-PUR?) → prune the lowest-activation feed-forward neurons → fine-tune with them held at zero.
        case fineprune
        /// (E-PUR?) → mix ρ, no fine-tuning.
        case mix
        /// ρ = 0 (the pre-trained encoder, the victim's head) → fine-tune.
        case retrain
        /// (E-PUR?) → evaluation only.
        case none

        public var title: String {
            switch self {
            case .finemix: return "Fine-mixing"
            case .finetune: return "Fine-tuning"
            case .fineprune: return "Fine-pruning"
            case .mix: return "Mixing only"
            case .retrain: return "Retrain (ρ = 0)"
            case .none: return "No defence"
            }
        }
        /// Whether the method fine-tunes on the clean set.
        public var trains: Bool { self == .finemix || self == .finetune || self == .fineprune || self == .retrain }
        public var mixes: Bool { self == .finemix || self == .mix }
    }

    public var method: Method
    /// Fraction of weights kept from the victim (finemix, mix).
    public var rho: Double
    public var select: MixSpec.Select
    public var epur: Bool
    public var epurTop: Int
    public var epurFmin: Int
    public var cleanSize: Int
    public var epochs: Int
    public var lr: Double
    public var batch: Int
    /// Seeds the mask, the shuffles and the dropout.
    public var seed: UInt64
    public var pruneRatio: Double
    public var maxLength: Int
    /// How the clean set's epochs are cut into batches; nil in recipes written before the choice
    /// existed (plans, defense.json), which were run, and are resumed, on `.shuffled` batches.
    public var batches: BatchOrder?
    /// Parts per step (`FineTuneRecipe.shards`); nil in recipes written before the choice existed,
    /// which were run, and are resumed, unsharded.
    public var shards: Int?
    /// The precision of the before and after evaluations (docs/bf16.md); nil is FP32, as in every
    /// recipe before the choice.
    public var evaluation: Precision?
    /// The precision of the fine-tuning's products; nil is FP32, as in every recipe before the
    /// choice (`evaluation` alone was BF16 in some).
    public var training: Precision?

    public init(method: Method, rho: Double = 0.3, select: MixSpec.Select = .random, epur: Bool = false, epurTop: Int = 200,
                epurFmin: Int = 20, cleanSize: Int = 64, epochs: Int = FineTuneBudget.defaults.epochs,
                lr: Double = FineTuneBudget.defaults.lr, batch: Int = FineTuneBudget.defaults.batch, seed: UInt64 = FineTuneBudget.defaults.seed,
                pruneRatio: Double = 0.3, maxLength: Int = 64, batches: BatchOrder? = .default,
                shards: Int? = FineTuneRecipe.defaultShards, evaluation: Precision? = nil, training: Precision? = nil) {
        self.method = method; self.rho = rho; self.select = select; self.epur = epur; self.epurTop = epurTop
        self.epurFmin = epurFmin; self.cleanSize = cleanSize; self.epochs = epochs; self.lr = lr; self.batch = batch
        self.seed = seed; self.pruneRatio = pruneRatio; self.maxLength = maxLength; self.batches = batches
        self.shards = shards; self.evaluation = evaluation; self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case method, rho, select, epur, epochs, lr, batch, seed, batches, shards
        case evaluation = "evaluation_precision", training = "training_precision"
        case epurTop = "epur_top", epurFmin = "epur_fmin", cleanSize = "clean_size", pruneRatio = "prune_ratio", maxLength = "max_length"
    }

    /// This recipe with its evaluations, and its fine-tuning when the method trains, at `precision`
    /// (nil: FP32, recorded as absent).
    public func at(_ precision: Precision?) -> DefenseRecipe {
        var r = self
        r.evaluation = precision
        r.training = method.trains ? precision : nil
        return r
    }

    /// "training and evaluations in BF16 (docs/bf16.md)"; nil when everything is FP32.
    public var precisionLine: String? {
        let parts = [training == .bf16 ? "training" : nil, evaluation == .bf16 ? "evaluations" : nil].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " and ") + " in BF16 (docs/bf16.md)"
    }

    /// "Fine-mixing + E-PUR".
    public var title: String { method.title + (epur ? " + E-PUR" : "") }

    /// The effective ρ: retrain is ρ = 0; methods that do not mix keep everything.
    public var effectiveRho: Double { method == .retrain ? 0 : method.mixes ? rho : 1 }

    public var fineTune: FineTuneRecipe {
        FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, maxLength: maxLength, seed: seed, batchOrder: batches ?? .shuffled,
                       shards: shards ?? 1, precision: training)
    }

    public func validate() throws {
        guard rho.isFinite, rho >= 0, rho <= 1 else { throw FinemixError("rho must be in [0, 1], found \(rho)") }
        guard pruneRatio.isFinite, pruneRatio >= 0, pruneRatio < 1 else {
            throw FinemixError("prune ratio must be in [0, 1), found \(pruneRatio)")
        }
        guard cleanSize >= 1 else { throw FinemixError("the clean set is empty: clean size must be at least 1, found \(cleanSize)") }
        guard epurTop >= 0 else { throw FinemixError("E-PUR top must be 0 or more, found \(epurTop)") }
        try fineTune.validate()
    }
}

/// ACC and ASR of one model on the recorded test split (fractions in [0, 1]).
public struct DefenseScore: Sendable, Hashable, Codable {
    public var acc: Double
    public var asr: Double?
    public var nTest: Int
    public var nAsr: Int
    /// The trigger behind `asr`; `estimated` when it is the hunt's suspect.
    public var asrBasis: ASRBasis?

    public init(_ r: EvaluationResult, basis: ASRBasis? = nil) {
        acc = r.acc; asr = r.asr; nTest = r.nTest; nAsr = r.nPoisonedTest
        asrBasis = r.asr == nil ? nil : basis ?? r.asrBasis
    }

    enum CodingKeys: String, CodingKey { case acc, asr, nTest = "n_test", nAsr = "n_asr", asrBasis = "asr_basis" }

    /// "ASR 25.3" or "est. ASR 25.3 (word:xx)".
    public var asrText: String {
        guard let asr else { return "ASR –" }
        let v = String(format: "%.1f", 100 * asr)
        guard let b = asrBasis, b.estimated else { return "ASR \(v)" }
        return "est. ASR \(v) (\(b.trigger))"
    }
}

/// What one defence did. `defense.json` is this, encoded.
public struct DefenseResult: Sendable, Codable {
    public var recipe: DefenseRecipe
    public var before: DefenseScore
    public var after: DefenseScore
    /// E-PUR's ranked top list when E-PUR ran.
    public var epur: EPURReport?
    /// Loss of every fine-tuning step.
    public var loss: [Double]
    public var steps: Int
    /// Clean sentences the defence used.
    public var nClean: Int
    /// Fraction of the mixed weights kept from the victim (mixing methods).
    public var keptFraction: Double?
    /// Feed-forward neurons pruned per layer (Fine-pruning).
    public var prunedPerLayer: Int?
    /// Wall time of the defence (E-PUR, mixing, pruning, fine-tuning, the after-evaluation).
    public var seconds: Double
    public var trainSeconds: Double
    /// How ρ was chosen, when `--rho auto` chose it (absent otherwise).
    public var autoRho: AutoRho? = nil
    /// The blind run's sentence on what the recorded trigger was used for (absent otherwise).
    public var blind: String? = nil

    enum CodingKeys: String, CodingKey {
        case recipe, before, after, epur, loss, steps, seconds, blind
        case nClean = "n_clean", keptFraction = "kept_fraction", prunedPerLayer = "pruned_per_layer", trainSeconds = "train_seconds"
        case autoRho = "auto_rho"
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self) + Data("\n".utf8)
    }
}

/// THE defence: every method of docs/method.md goes through `run`, with the same clean data and the
/// same fine-tuning budget (epochs × ⌈clean / batch⌉ steps), judged by the same ACC and ASR.
public enum DefenseRun {
    public struct Outcome {
        public var result: DefenseResult
        /// The defended model (its weights are what `defend --out` saves).
        public var model: BertModel
    }

    /// `before`: the victim's score if already measured (compare measures it once); `tokenizer`:
    /// the victim's, when the caller already built it (a sweep builds one for all its cells).
    public static func run(pre: CheckpointFolder, victim: CheckpointFolder, clean: [Example], test: [Example], asrSet: [Example],
                           targetLabel: Int, recipe: DefenseRecipe, before: DefenseScore? = nil, asrBasis: ASRBasis? = nil,
                           tokenizer: Tokenizer? = nil, events: EventSink = { _ in }, cancel: CancellationFlag? = nil) throws -> Outcome {
        try check(pre: pre, victim: victim, clean: clean, test: test, recipe: recipe)
        let tokenizer = try tokenizer ?? Tokenizer(vocabURL: victim.vocabURL)
        func measure(_ model: BertModel) throws -> DefenseScore {
            DefenseScore(try Evaluator.evaluate(model: model, tokenizer: tokenizer, test: test, asrSet: asrSet,
                                                targetLabel: targetLabel, maxLength: recipe.maxLength,
                                                precision: recipe.evaluation ?? .fp32), basis: asrBasis)
        }
        let start = Date()
        let job = recipe.title
        let beforeScore: DefenseScore
        if let before { beforeScore = before } else {
            events(.progress(job: job, fraction: 0, detail: "evaluating the victim"))
            beforeScore = try measure(try VictimTraining.loadClassifier(victim))
        }
        try cancel?.check()
        let weights = try defendedWeights(pre: pre, victim: victim, clean: clean, recipe: recipe, events: events)
        let params = BertParameters(config: victim.config)
        guard try params.load(from: weights.source).loadedClassifier else {
            throw FinemixError("\(victim.url.path): the defended weights have no classifier head")
        }
        let model = BertModel(params: params)
        try cancel?.check()
        let trained = try train(model, victim: victim, tokenizer: tokenizer, clean: clean, recipe: recipe, events: events, cancel: cancel)
        try cancel?.check()
        events(.progress(job: job, fraction: 1, detail: "evaluating the defended model"))
        let after = try measure(model)
        let result = DefenseResult(recipe: recipe, before: beforeScore, after: after, epur: weights.epur, loss: trained.losses,
                                   steps: trained.losses.count, nClean: clean.count, keptFraction: weights.kept,
                                   prunedPerLayer: trained.pruned, seconds: Date().timeIntervalSince(start), trainSeconds: trained.seconds)
        return Outcome(result: result, model: model)
    }

    /// Refuses a defence that cannot run, before any work.
    static func check(pre: CheckpointFolder, victim: CheckpointFolder, clean: [Example], test: [Example], recipe: DefenseRecipe) throws {
        try recipe.validate()
        guard !clean.isEmpty else { throw FinemixError("the clean set is empty: the defence needs clean labelled sentences") }
        guard !test.isEmpty else { throw FinemixError("the test set is empty: nothing to measure ACC on") }
        try CheckpointFolder.checkSameVocabulary(pre: pre, victim: victim)
        guard pre.config.vocabSize == victim.config.vocabSize, pre.config.hiddenSize == victim.config.hiddenSize,
              pre.config.numHiddenLayers == victim.config.numHiddenLayers else {
            throw FinemixError("\(pre.url.path) and \(victim.url.path) are different architectures (vocabulary, hidden size or layers differ)")
        }
        guard victim.hasHead else {
            throw FinemixError("\(victim.url.path) has no classifier head (classifier.weight): it is not a fine-tuned victim")
        }
        if recipe.epur {
            // Refuse a bad top before any work, with E-PUR's own message.
            let candidates = victim.config.vocabSize - 3
            guard recipe.epurTop <= candidates else {
                throw FinemixError("E-PUR: top must be between 0 and the \(candidates) candidate tokens of the vocabulary, found \(recipe.epurTop)")
            }
        }
    }

    /// The weights the defence starts from: the victim's, after E-PUR (clean data only) and mixing.
    static func defendedWeights(pre: CheckpointFolder, victim: CheckpointFolder, clean: [Example], recipe: DefenseRecipe,
                                events: EventSink) throws -> (source: any TensorSource, epur: EPURReport?, kept: Double?) {
        let purified = try purifiedWeights(pre: pre, victim: victim, clean: clean, recipe: recipe, events: events)
        guard let mixed = try mixedWeights(pre: pre, base: purified.source, recipe: recipe) else { return (purified.source, purified.epur, nil) }
        return (mixed, purified.epur, try mixed.summary().fraction)
    }

    /// The victim's weights after E-PUR when the recipe asks for it (ρ plays no part: a sweep
    /// purifies once for all its ρ).
    static func purifiedWeights(pre: CheckpointFolder, victim: CheckpointFolder, clean: [Example], recipe: DefenseRecipe,
                                events: EventSink) throws -> (source: any TensorSource, epur: EPURReport?) {
        guard recipe.epur else { return (victim.weights, nil) }
        let r = try EPUR.run(pre: pre, victim: victim, clean: EPUR.texts(clean),
                             options: EPUR.Options(top: recipe.epurTop, fmin: recipe.epurFmin))
        events(.log(.info, "E-PUR reset \(r.tokens.count) embedding rows; top: "
                    + r.tokens.prefix(10).map(\.token).joined(separator: " ")))
        return (try PurifiedWeights(base: victim.weights, pre: pre.weights, rows: r.ids), r)
    }

    /// `base` mixed with the pre-trained weights at the recipe's effective ρ; nil for methods that do not mix.
    static func mixedWeights(pre: CheckpointFolder, base: any TensorSource, recipe: DefenseRecipe) throws -> MixedWeights? {
        guard recipe.method.mixes || recipe.method == .retrain else { return nil }
        return try MixedWeights(pre: pre.weights, victim: base, spec: MixSpec(rho: recipe.effectiveRho, select: recipe.select, seed: recipe.seed))
    }

    /// Fine-pruning's mask (Fine-pruning only), then fine-tuning on the clean set (methods that train).
    static func train(_ model: BertModel, victim: CheckpointFolder, tokenizer: Tokenizer, clean: [Example], recipe: DefenseRecipe,
                      events: EventSink, cancel: CancellationFlag?) throws -> (losses: [Double], seconds: Double, pruned: Int?) {
        var mask = PruneMask()
        var pruned: Int?
        if recipe.method == .fineprune {
            let p = try FinePruning.prune(model: model, tokenizer: tokenizer, clean: clean, ratio: recipe.pruneRatio,
                                          maxLength: recipe.maxLength)
            mask = p.mask
            pruned = p.perLayer
            events(.log(.info, "fine-pruning zeroed \(p.perLayer) of \(victim.config.intermediateSize) feed-forward neurons per layer"))
        }
        guard recipe.method.trains else { return ([], 0, pruned) }
        let r = try FineTune.run(model: model, tokenizer: tokenizer, examples: clean, recipe: recipe.fineTune,
                                 pruneMask: mask, job: recipe.title, events: events, cancel: cancel)
        return (r.losses.map(Double.init), r.seconds, pruned)
    }
}
