import Foundation

/// Planting a backdoor, fine-tuning, evaluating and sweeping ρ.
extension Session {
    /// Trains the victim on the session's split (its seed is the data's), caching it in the
    /// workspace by recipe so the demo reaches its first screen in seconds the second time.
    func attack(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let pre = try requirePre()
        let d = try requireData()
        let a = try AttackArguments(c)
        let trigger = a.trigger
        guard a.target < d.dataset.numLabels else {
            throw FinemixError("attack: target=\(a.target) is outside 0...\(d.dataset.numLabels - 1)")
        }
        let recipe = FineTuneRecipe(epochs: a.epochs, lr: a.lr, batch: a.batch, maxLength: d.maxLength, seed: d.split.spec.seed)
        let request = AttackRequest(pretrained: pre.url, dataset: d.dataset, trigger: trigger,
                                    poisonRate: a.rate, target: a.target,
                                    trainSize: d.split.spec.trainSize, cleanSize: d.split.spec.cleanPoolSize,
                                    testSize: d.split.spec.testSize, recipe: recipe)
        let key = Session.cacheKey([pre.url.standardizedFileURL.path, d.dataset.name, "\(d.split.spec)", "\(request.poisonRate)",
                                    "\(request.target)", trigger.description, "\(recipe)", a.fresh])
        let folder = workspace.appendingPathComponent("victims/\(key)", isDirectory: true)
        if (try? AttackRecord.read(folder: folder)) != nil, (try? CheckpointFolder(folder)) != nil {
            events(.log(.info, "using the victim planted earlier with this recipe: \(folder.path)"))
        } else {
            let outcome = try VictimTraining.attack(request, events: events, cancel: cancel)
            try OutputFolder(path: folder.path, command: "attack", force: true, forceFlag: nil,
                             inputs: [(what: "the pre-trained model", url: pre.url)]).write { tmp in
                try CheckpointFolder.save(config: outcome.model.config, vocab: pre.vocabURL, tensors: outcome.model.params.export(), to: tmp)
                try AtomicFile.write(outcome.record.encoded(), to: tmp.appendingPathComponent(AttackRecord.fileName))
            }
        }
        let record = try AttackRecord.read(folder: folder)
        let loaded = try load(Command(verb: "load", arguments: ["victim", folder.path]), events: events)
        poison = record.recipe.poison
        if var v = current {
            v.recipe = [c.description]
            v.metrics = EvaluationResult(acc: record.acc, asr: record.asr, nTest: record.nTest, nCorrect: record.nCorrect,
                                         nPoisonedTest: record.nAsr, nPoisonedToTarget: record.nAsrToTarget, targetLabel: record.recipe.target)
            replaceCurrent(v)
        }
        events(.metric(series: .acc, step: 0, value: record.acc))
        events(.metric(series: .asr, step: 0, value: record.asr))
        return Outcome(message: "victim planted (\(trigger)): ACC \(pct(record.acc)), ASR \(pct(record.asr))",
                       results: ["acc": record.acc, "asr": record.asr], inputs: loaded.inputs)
    }

    func finetune(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let v = try requireCurrent()
        let d = try requireData()
        let recipe = try FineTuneArguments(c).recipe(maxLength: d.maxLength)
        if let hit = cachedFineMixing(of: v, recipe: recipe), let weights = hit.weights, let metrics = hit.metrics {
            // The landscape trained this very model (the same mix, budget, seed and clean set).
            var out = Variant(name: uniqueName(VariantNames.finetune(of: v.name)), recipe: v.recipe + [c.description],
                              weights: weights, config: v.config)
            out.mix = v.mix
            out.lossCurve = hit.losses
            out.seconds = hit.seconds
            out.metrics = metrics
            adopt(out)
            var results = ["acc": metrics.acc, "steps": Double(hit.losses.count), "from_landscape": 1]
            if let asr = metrics.asr { results["asr"] = asr }
            let asrText = metrics.asr.map { "\(metrics.asrBasis?.label ?? "ASR") \(pct($0))" } ?? "ASR unknown"
            return Outcome(message: "\(out.name): taken from the ρ landscape (\(hit.losses.count) steps on \(d.clean.count) clean sentences, trained in the background); ACC \(pct(metrics.acc)), \(asrText)",
                           results: results)
        }
        let model = try materialise(v)
        let tokenizer = try self.tokenizer()
        // Live ACC/ASR on a fixed probe subset, so the Monitor moves during the run.
        let probeTest = Array(d.split.test.prefix(probeSize))
        let probeASR = try Array((asrSet() ?? []).prefix(probeSize))
        let steps = recipe.totalSteps(examples: d.clean.count)
        let probe = FineTuneProbe(every: max(1, steps / 10)) { [asrConfig] _ in
            let r = try Evaluator.evaluate(model: model, tokenizer: tokenizer, test: probeTest, asrSet: probeASR,
                                           targetLabel: asrConfig?.targetLabel, maxLength: d.maxLength)
            return [(.acc, r.acc)] + (r.asr.map { [(.asr, $0)] } ?? [])
        }
        let result = try FineTune.run(model: model, tokenizer: tokenizer, examples: d.clean, recipe: recipe,
                                      pruneMask: v.pruneMask, job: "fine-tune", events: events, cancel: cancel, probe: probe)
        var out = Variant(name: uniqueName(VariantNames.finetune(of: v.name)), recipe: v.recipe + [c.description],
                          weights: TensorDictionary(model.params.export()), config: model.config)
        out.mix = v.mix
        out.pruneMask = v.pruneMask
        out.lossCurve = result.losses.map(Double.init)
        out.seconds = result.seconds
        adopt(out)
        let evaluated = try evaluate(Command(verb: "eval"), events: events, cancel: cancel)
        return Outcome(message: "\(out.name): \(result.steps) steps on \(d.clean.count) clean sentences; \(evaluated.message)",
                       results: evaluated.results.merging(["steps": Double(result.steps)]) { a, _ in a })
    }

    func evaluate(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        var v = try requireCurrent()
        let d = try requireData()
        let model = try materialise(v)
        events(.progress(job: "eval", fraction: 0, detail: "evaluating \(v.name) on \(d.split.test.count) test sentences"))
        var result = try Evaluator.evaluate(model: model, tokenizer: tokenizer(), test: d.split.test, asrSet: asrSet() ?? [],
                                            targetLabel: asrConfig?.targetLabel, maxLength: d.maxLength)
        try cancel.check()
        let basis = asrBasis
        if result.asr != nil { result.asrBasis = basis }
        v.metrics = result
        replaceCurrent(v)
        var results = ["acc": result.acc]
        if let asr = result.asr { results["asr"] = asr }
        let asrText = result.asr.map { "\(basis?.label ?? "ASR") \(pct($0)) (\(basis?.trigger.description ?? "?"))" }
            ?? "ASR unknown (no trigger named or suspected: hunt looks for one)"
        if basis?.estimated == true { results["asr_estimated"] = 1 }
        return Outcome(message: "\(v.name): ACC \(pct(result.acc)), \(asrText)", results: results)
    }

    /// ACC and ASR against ρ, mixing only and (unless finetune=off) Fine-mixing: `finemix sweep`'s
    /// pipeline (RhoSweep) on the session's data; then the automatic rule of docs/method.md.
    func runSweep(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        let pre = try requirePre()
        guard let victim = victimFolder else { throw FinemixError("sweep: load or plant a victim first") }
        let d = try requireData()
        let a = try SweepArguments(c)
        if a.submit && a.plan == nil { throw FinemixError("sweep: submit=on sends a plan to Slurm: add plan=DIR") }
        if let plan = a.plan { return try planSweep(a, plan: plan, submit: a.submit) }
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: a.select, cleanSize: d.clean.count, epochs: a.budget.epochs,
                                   lr: a.budget.lr, batch: a.budget.batch, seed: a.budget.seed, maxLength: d.maxLength)
        let asr = try asrSet()
        let data = RhoSweep.Data(clean: d.clean, heldOut: d.heldOut, test: d.split.test, asrSet: asr ?? [],
                                 basis: asr == nil ? nil : asrBasis)
        sweep = []
        let result = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                      options: RhoSweep.Options(rhos: a.rhos, fineMixing: a.finetune, recipe: recipe),
                                      events: events, cancel: cancel) { sweep.append($0.point) }
        landscape.use(inputs: landscapeInputsID)
        landscape.record(result.points, budget: LandscapeBudget(recipe), select: a.select, seed: a.budget.seed, cleanSize: d.clean.count,
                         nTest: d.split.test.count)
        let chosen = a.finetune ? RhoSweep.automaticRho(result.points) : nil
        var results = ["steps": Double(result.steps)]
        if let chosen { results["auto_rho"] = chosen }
        return Outcome(message: "sweep over \(a.rhos.count) values of ρ (\(a.finetune ? "mixing only and Fine-mixing, \(result.steps) steps each" : "mixing only"))"
                       + (chosen.map { "; automatic rule picks ρ = \(fmt($0))" } ?? ""),
                       results: results)
    }

    // MARK: helpers

    var probeSize: Int { 200 }

    func tokenizer() throws -> Tokenizer {
        try Tokenizer(vocabURL: requirePre().vocabURL)
    }

    /// The variant's weights in an engine model; refuses weights without a classifier head.
    func materialise(_ v: Variant) throws -> BertModel {
        let params = BertParameters(config: v.config)
        let loaded = try params.load(from: v.weights)
        guard loaded.loadedClassifier else { throw FinemixError("\(v.name): no classifier head to evaluate or train") }
        return BertModel(params: params)
    }

    /// Updates the current variant in place (metrics), in the Variants table too.
    func replaceCurrent(_ v: Variant) {
        current = v
        if let i = variants.firstIndex(where: { $0.name == v.name }) { variants[i] = v }
    }

    static func cacheKey(_ parts: [String]) -> String {
        // FNV-1a over the recipe text: a stable folder name, not a security measure.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in parts.joined(separator: "\u{1F}").utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}

func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
