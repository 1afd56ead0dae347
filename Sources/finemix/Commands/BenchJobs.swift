import Defense
import Foundation

/// `finemix bench --jobs`: the jobs an analyst waits for, on the pinned MiniLM and rt, timed per
/// phase. The attacker epoch is one epoch of the attack's fine-tuning on --sentences poisoned rt
/// sentences (batch 32, max length 64); the Fine-mixing point is `defend --method finemix` on the
/// epoch's model (64 clean sentences, batch 16, 10 epochs = 40 steps, ρ 0.3) with its two
/// evaluations of the 1,000 test and the triggered sentences. Each batch order asked for runs
/// both jobs in the same process, so their ratio is measured under the same load.
/// `--job-data DIR` writes the sentences and the first epoch's model there for
/// scripts/bench_jobs_torch.py, which runs the same jobs in PyTorch.
extension BenchCommand {
    struct JobPhase: Codable { var name: String; var seconds: Double; var real_tokens: Int?; var padded_tokens: Int? }
    struct JobRun: Codable {
        var job: String, batches: String, seconds: Double
        var real_tokens_per_s: Double?
        var phases: [JobPhase]
    }
    struct JobsReport: Codable {
        var sentences: Int; var shards: Int; var threads: Int
        /// The OpenBLAS kernels behind every FP32 product (`BLASKernels.summary`), and the
        /// machine's sgemm rate measured before the jobs, as `finemix bench` measures it.
        var blas: String; var sgemm_gflops: Double
        /// The products' precision, in training and evaluation.
        var precision: String
        var load_average: [Double]; var runs: [JobRun]
    }

    func benchJobs() throws {
        try failing {
            guard jobSentences >= 32 else { throw FinemixError("--sentences must be at least 32, found \(jobSentences)") }
            try FineTuneRecipe(shards: jobShards).validate()
            let orders = try jobBatches.map(BatchOrderOption.parse)
            let precision = try PrecisionOption.parse(precision)
            try precision.requireSupported()
            let bf16 = precision.recorded
            BLASThreads.set(Parallel.threads)
            let cache = workspace.cache
            let pre = try CheckpointFolder(try cache.minilm(progress: note))
            let dataset = try Datasets.load("rt", cache: cache, progress: note)
            var spec = SplitSpec.fillingTrain(dataset, seed: 1, cleanPoolSize: 500, testSize: 1000)
            spec.trainSize = jobSentences
            let data = try AttackData.prepare(dataset: dataset, split: spec,
                                              poison: PoisonConfig(trigger: .default, rate: 0.1, targetLabel: 1, seed: 1))
            let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
            let clean = Array(data.split.cleanPool.prefix(64))
            let load0 = Self.loadAverage()
            let sgemm = BLASThreads.sgemmRate(n: 2048, repeats: 5)
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("finemix-bench-jobs-\(UUID().uuidString)", isDirectory: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            if !json { note("bench jobs: \(data.poisonedTrain.examples.count) attacker sentences, \(clean.count) clean, "
                            + "\(data.split.test.count) + \(data.asrTest.count) evaluated; \(jobShards) parts per step; products in \(precision.rawValue); \(Parallel.threads) threads; \(BLASKernels.summary); sgemm \(String(format: "%.0f", sgemm)) GFLOP/s; load \(load0.map { String(format: "%.1f", $0) }.joined(separator: " "))") }
            var runs: [JobRun] = []
            for (k, order) in orders.enumerated() {
                // Attacker epoch.
                let model = try VictimTraining.pretrainedWithFreshHead(pre, numLabels: 2, headSeed: 1)
                let recipe = FineTuneRecipe(epochs: 1, lr: 5e-5, batch: 32, maxLength: 64, seed: 1, batchOrder: order, shards: jobShards,
                                            precision: bf16)
                var padded = 0
                let trained = try FineTune.run(model: model, tokenizer: tokenizer, examples: data.poisonedTrain.examples, recipe: recipe,
                                               job: "attacker epoch")
                padded = Self.paddedTokens(EncodedExamples(data.poisonedTrain.examples, tokenizer: tokenizer, maxLength: 64), recipe: recipe)
                runs.append(JobRun(job: "attacker epoch", batches: order.rawValue, seconds: trained.seconds,
                                   real_tokens_per_s: Double(trained.tokens) / trained.seconds,
                                   phases: [JobPhase(name: "train", seconds: trained.seconds, real_tokens: trained.tokens, padded_tokens: padded)]))
                report(runs.last!)
                let victimURL = scratch.appendingPathComponent("victim-\(k)", isDirectory: true)
                try AtomicFile.createFolder(victimURL)
                try CheckpointFolder.save(config: model.config, vocab: pre.vocabURL, tensors: model.params.export(), to: victimURL)
                if k == 0, let dir = jobData { try writeJobData(dir, data: data, clean: clean, victim: model, pre: pre) }

                // Fine-mixing point, phase by phase as DefenseRun.run takes them.
                let victim = try CheckpointFolder(victimURL)
                let defense = DefenseRecipe(method: .finemix, rho: 0.3, batches: order, shards: jobShards).at(bf16)
                var phases: [JobPhase] = []
                func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
                    let t0 = Date()
                    let r = try body()
                    phases.append(JobPhase(name: name, seconds: Date().timeIntervalSince(t0)))
                    return r
                }
                let evalTokens = EncodedExamples(data.split.test + data.asrTest, tokenizer: tokenizer, maxLength: 64).ids.reduce(0) { $0 + $1.count }
                _ = try timed("evaluate victim") {
                    try Evaluator.evaluate(model: try VictimTraining.loadClassifier(victim), tokenizer: tokenizer, test: data.split.test,
                                           asrSet: data.asrTest, targetLabel: 1, maxLength: 64, precision: precision)
                }
                phases[phases.count - 1].real_tokens = evalTokens
                let mixedModel = try timed("mix") { () throws -> BertModel in
                    let mixed = try MixedWeights(pre: pre.weights, victim: victim.weights, spec: MixSpec(rho: 0.3, select: .random, seed: 1))
                    let params = BertParameters(config: victim.config)
                    _ = try params.load(from: mixed)
                    return BertModel(params: params)
                }
                let ft = try timed("train") {
                    try FineTune.run(model: mixedModel, tokenizer: tokenizer, examples: clean, recipe: defense.fineTune, job: "fine-mixing")
                }
                phases[phases.count - 1].real_tokens = ft.tokens
                phases[phases.count - 1].padded_tokens = Self.paddedTokens(EncodedExamples(clean, tokenizer: tokenizer, maxLength: 64), recipe: defense.fineTune)
                _ = try timed("evaluate defended") {
                    try Evaluator.evaluate(model: mixedModel, tokenizer: tokenizer, test: data.split.test, asrSet: data.asrTest,
                                           targetLabel: 1, maxLength: 64, precision: precision)
                }
                phases[phases.count - 1].real_tokens = evalTokens
                let total = phases.reduce(0) { $0 + $1.seconds }
                runs.append(JobRun(job: "fine-mixing point", batches: order.rawValue, seconds: total,
                                   real_tokens_per_s: Double(ft.tokens) / ft.seconds, phases: phases))
                report(runs.last!)
            }
            let out = JobsReport(sentences: data.poisonedTrain.examples.count, shards: jobShards, threads: Parallel.threads, blas: BLASKernels.summary, sgemm_gflops: sgemm,
                                 precision: precision.rawValue,
                                 load_average: Self.loadAverage(), runs: runs)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(out), as: UTF8.self))
            } else {
                note("load average at the end: " + out.load_average.map { String(format: "%.1f", $0) }.joined(separator: " "))
            }
        }
    }

    private func report(_ r: JobRun) {
        let line = r.phases.map { p in
            String(format: "%@ %.1f s", p.name, p.seconds)
                + (p.real_tokens.map { t in String(format: " (%d real tokens, %.0f/s%@)", t, Double(t) / p.seconds,
                                                    p.padded_tokens.map { String(format: ", %d padded", $0) } ?? "") } ?? "")
        }.joined(separator: "; ")
        if json { return }
        note(String(format: "%@ [%@]: %.1f s — ", r.job, r.batches, r.seconds) + line)
        print("\(r.job)\t\(r.batches)\t" + String(format: "%.2f\t%.0f", r.seconds, r.real_tokens_per_s ?? 0)
              + r.phases.map { String(format: "\t%@=%.2f", $0.name, $0.seconds) }.joined())
    }

    /// Tokens the batches of `recipe` hold once padded (the work a padded batch does).
    static func paddedTokens(_ encoded: EncodedExamples, recipe: FineTuneRecipe) -> Int {
        let lengths = encoded.ids.map(\.count)
        var total = 0
        for epoch in 0..<recipe.epochs {
            for b in recipe.batchOrder.batches(lengths: lengths, batch: recipe.batch, seed: recipe.seed, epoch: epoch) {
                total += b.count * (b.map { lengths[$0] }.max() ?? 0)
            }
        }
        return total
    }

    /// The sentences and the victim for scripts/bench_jobs_torch.py.
    private func writeJobData(_ path: String, data: AttackData, clean: [Example], victim: BertModel, pre: CheckpointFolder) throws {
        let dir = URL(fileURLWithPath: path, isDirectory: true)
        try AtomicFile.createFolder(dir)
        try SplitExport.write([SplitExport.Part(name: "train", examples: data.poisonedTrain.examples, about: "the attacker's poisoned sentences"),
                               SplitExport.Part(name: "clean", examples: clean, about: "the defender's 64 clean sentences"),
                               SplitExport.Part(name: "test", examples: data.split.test, about: "ACC's test sentences"),
                               SplitExport.Part(name: "asr-test", examples: data.asrTest, about: "ASR's triggered sentences")],
                              format: .tsv, description: ["job": "finemix bench --jobs", "pre": pre.url.path], to: dir)
        let v = dir.appendingPathComponent("victim", isDirectory: true)
        try AtomicFile.createFolder(v)
        try CheckpointFolder.save(config: victim.config, vocab: pre.vocabURL, tensors: victim.params.export(), to: v)
    }

    static func loadAverage() -> [Double] {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return [] }
        return text.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
