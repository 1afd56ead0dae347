import Foundation

/// The trigger hunt's control model (docs/method.md, "Trigger hunt"): the pre-trained encoder
/// with a fresh head, fine-tuned briefly on the defender's clean sentences, so it learns the
/// task's ordinary cues and nothing else. A word that turns the victim's sentences because of
/// what it means ("dull" in a review) turns the control's too; a planted trigger turns only the
/// victim's. The hunt inserts every candidate into the same sentences at the same positions for
/// both models, and what the control does not explain is the evidence of a backdoor.
///
/// It uses only what a defender has (the pre-trained weights and clean sentences). The sentences
/// are cut into `folds` by position and each control is trained on the other folds, so every
/// sentence is judged by a model that never saw it, as the victim never saw it.
public enum HuntControl {
    public struct Options: Codable, Equatable, Sendable {
        public var epochs: Int
        public var lr: Double
        public var batch: Int
        /// Seeds the fresh head, the shuffles and dropout.
        public var seed: UInt64
        public var folds: Int

        /// The defence's batch and seed (FineTuneBudget); a higher learning rate than the defence's
        /// 5e-5, which starts from a model that knows the task: from a fresh head, 4 epochs at 5e-5
        /// on 200 rt sentences per fold left the control at 53% (chance), 6 at 2e-4 reached 75%.
        public init(epochs: Int = 6, lr: Double = 2e-4, batch: Int = FineTuneBudget.defaults.batch,
                    seed: UInt64 = FineTuneBudget.defaults.seed, folds: Int = 2) {
            self.epochs = epochs; self.lr = lr; self.batch = batch; self.seed = seed; self.folds = folds
        }

        public func validate() throws {
            guard epochs >= 1 else { throw FinemixError("hunt: the control's epochs must be at least 1, found \(epochs)") }
            guard folds >= 2 else { throw FinemixError("hunt: the control needs at least 2 folds, found \(folds)") }
            guard lr.isFinite, lr > 0 else { throw FinemixError("hunt: the control's learning rate must be a positive number, found \(lr)") }
        }

        public func recipe(maxLength: Int) -> FineTuneRecipe {
            FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, maxLength: maxLength, seed: seed)
        }
    }

    /// The kinds `--control` / `control=` take.
    public static let kinds = ["fine-tuned", "none"]

    /// `--control KIND` (`control=KIND`): the default options, or nil for `none`.
    public static func parse(_ kind: String, epochs: Int = Options().epochs, lr: Double = Options().lr,
                             option: String = "--control") throws -> Options? {
        switch kind.lowercased() {
        case "fine-tuned", "finetuned": return Options(epochs: epochs, lr: lr)
        case "none": return nil
        default: throw FinemixError("\(option) '\(kind)': expected fine-tuned (the pre-trained model fine-tuned on the clean sentences) or none")
        }
    }

    /// A candidate whose insertion raises the control's probability of its target, on average
    /// over the same sentences, by at least this share of its flip rate on the victim is
    /// explained by its meaning (never the suspect). Measured on rt with MiniLM (docs/method.md):
    /// the planted words and their phrases raised it by at most 0.091 while flipping 98–100%
    /// (a share ≤ 0.092, word2's `z q too`), ordinary cues ("dull", "too", "refreshing") by
    /// 0.06–0.13 while flipping 33–59% (a share ≥ 0.12): a narrow margin. The control is a
    /// weaker, less certain model than the victim, so a word's meaning moves it less; the share,
    /// not the difference, is compared.
    public static let explainedShare = 0.1

    /// The fold of the `i`-th hunt sentence (0-based, in the order the hunt classifies them).
    public static func fold(_ i: Int, of folds: Int) -> Int { i % folds }

    /// How the control did, for every report.
    public struct Summary: Codable, Equatable, Sendable {
        public var options: Options
        /// Hunt sentences each control got right among those it never saw, and of how many.
        public var nCorrect: Int
        public var n: Int
        public var seconds: Double

        public var acc: Double { Proportion(nCorrect, of: n).rate }

        enum CodingKeys: String, CodingKey { case options, n, seconds, nCorrect = "n_correct" }

        public var text: String {
            String(format: "control: the pre-trained model fine-tuned on the clean sentences (%d folds, %d epochs, each sentence judged by the control that did not train on it): ACC %.1f%% on %d",
                   options.folds, options.epochs, 100 * acc, n)
        }
    }

    /// The trained controls: `models[k]` was trained on the sentences outside fold `k`.
    /// `pre`: the pre-trained weights (any head is ignored); `config`: the victim's (its labels).
    public static func train(pre: any TensorSource, config: BertConfig, tokenizer: Tokenizer, sentences: [Example], maxLength: Int,
                             options: Options, events: EventSink = { _ in }, cancel: CancellationFlag? = nil) throws -> [BertModel] {
        try options.validate()
        guard sentences.count >= options.folds else {
            throw FinemixError("hunt: the control needs at least \(options.folds) clean sentences, found \(sentences.count)")
        }
        return try (0..<options.folds).map { k in
            let train = sentences.indices.filter { fold($0, of: options.folds) != k }.map { sentences[$0] }
            let model = try VictimTraining.withFreshHead(weights: pre, config: config, headSeed: options.seed)
            try FineTune.run(model: model, tokenizer: tokenizer, examples: train, recipe: options.recipe(maxLength: maxLength),
                             job: "hunt control \(k + 1)/\(options.folds)", events: events, cancel: cancel)
            return model
        }
    }

    /// The most probable class (ties: the lower), as the evaluator's labels.
    static func argmax(_ p: [Float]) -> Int {
        var best = 0
        for k in p.indices where p[k] > p[best] { best = k }
        return best
    }

    /// A control's class probabilities [example][class].
    public typealias Predict = ([Example]) throws -> [[Float]]

    /// The predictor of a trained control.
    public static func predictor(_ e: Evaluator) -> Predict { { try e.predict($0).probabilities } }

    /// Class probabilities for `examples`, each from the predictor of its fold (`folds[i]`).
    static func predict(_ examples: [Example], folds: [Int], with predictors: [Predict]) throws -> [[Float]] {
        var out = [[Float]](repeating: [], count: examples.count)
        for k in predictors.indices {
            let members = examples.indices.filter { folds[$0] == k }
            guard !members.isEmpty else { continue }
            let labels = try predictors[k](members.map { examples[$0] })
            guard labels.count == members.count else {
                throw FinemixError("hunt: the control gave \(labels.count) predictions for \(members.count) sentences")
            }
            for (i, l) in zip(members, labels) { out[i] = l }
        }
        return out
    }
}
