/// `finetune ...`: fine-tunes the current variant on the defender's clean set.
struct FineTuneVerb: Verb {
    static let verb = "finetune"
    static let usage = "finetune [epochs=10] [lr=5e-5] [batch=16] [seed=1]"
    static let summary = "fine-tune the current variant on the defender's clean set"
    static let options = ["epochs", "lr", "batch", "seed"]
    static let arguments = 0...0

    var budget: FineTuneBudget

    init(_ c: Command) throws { budget = try FineTuneBudget(c) }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let v = try s.requireCurrent()
        let d = try s.requireData()
        let recipe = budget.recipe(maxLength: d.maxLength)
        if let hit = s.cachedFineMixing(of: v, recipe: recipe), let weights = hit.weights, let metrics = hit.metrics {
            return adopt(hit, weights: weights, metrics: metrics, of: v, cleanSize: d.clean.count, c, on: s)
        }
        let model = try s.materialise(v)
        let tokenizer = try s.tokenizer()
        // Live ACC/ASR on a fixed probe subset, so the Monitor moves during the run.
        let probeTest = Array(d.split.test.prefix(Session.probeSize))
        let probeASR = try Array((s.asrSet() ?? []).prefix(Session.probeSize))
        let steps = recipe.totalSteps(examples: d.clean.count)
        let probe = FineTuneProbe(every: max(1, steps / 10)) { [asrConfig = s.asrConfig] _ in
            let r = try Evaluator.evaluate(model: model, tokenizer: tokenizer, test: probeTest, asrSet: probeASR,
                                           targetLabel: asrConfig?.targetLabel, maxLength: d.maxLength)
            return [(.acc, r.acc)] + (r.asr.map { [(.asr, $0)] } ?? [])
        }
        let result = try FineTune.run(model: model, tokenizer: tokenizer, examples: d.clean, recipe: recipe,
                                      pruneMask: v.pruneMask, job: "fine-tune", events: events, cancel: cancel, probe: probe)
        var out = Variant(name: s.uniqueName(VariantNames.finetune(of: v.name)), recipe: v.recipe + [c.description],
                          weights: TensorDictionary(model.params.export()), config: model.config)
        out.mix = v.mix
        out.pruneMask = v.pruneMask
        out.lossCurve = result.losses.map(Double.init)
        out.seconds = result.seconds
        s.adopt(out)
        let evaluated = try EvalVerb.run(Command(verb: "eval"), on: s, events: events, cancel: cancel)
        return Session.Outcome(message: "\(out.name): \(result.steps) steps on \(d.clean.count) clean sentences; \(evaluated.message)",
                               results: evaluated.results.merging(["steps": Double(result.steps)]) { a, _ in a })
    }

    /// The landscape trained this very model (the same mix, budget, seed and clean set).
    private func adopt(_ hit: LandscapeEntry, weights: TensorDictionary, metrics: EvaluationResult, of v: Variant, cleanSize: Int,
                       _ c: Command, on s: Session) -> Session.Outcome {
        var out = Variant(name: s.uniqueName(VariantNames.finetune(of: v.name)), recipe: v.recipe + [c.description],
                          weights: weights, config: v.config)
        out.mix = v.mix
        out.lossCurve = hit.losses
        out.seconds = hit.seconds
        out.metrics = metrics
        s.adopt(out)
        var results = ["acc": metrics.acc, "steps": Double(hit.losses.count), "from_landscape": 1]
        if let asr = metrics.asr { results["asr"] = asr }
        let asrText = metrics.asr.map { "\(metrics.asrBasis?.label ?? "ASR") \(pct($0))" } ?? "ASR unknown"
        return Session.Outcome(message: "\(out.name): taken from the ρ landscape (\(hit.losses.count) steps on \(cleanSize) clean sentences, trained in the background); ACC \(pct(metrics.acc)), \(asrText)",
                               results: results)
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        names.derive(VariantNames.finetune(of:))
        return nil
    }
}

/// `finetune`'s and `sweep`'s budget options, read with the engine's defaults.
extension FineTuneBudget {
    init(_ c: Command) throws {
        let d = Self.defaults
        epochs = try c.int("epochs", default: d.epochs, in: 1...10_000)
        lr = try c.double("lr", default: d.lr, in: 1e-8...1)
        batch = try c.int("batch", default: d.batch, in: 1...4096)
        seed = UInt64(try c.int("seed", default: Int(d.seed), in: 0...Int.max))
    }
}
