import ArgumentParser
import Defense
import Foundation

/// What defend, sweep and compare share: the two checkpoints and the data. A victim folder from
/// `finemix attack` has its data and trigger in attack.json; any other fine-tuned folder needs
/// `--clean` and `--test`, and its ASR is measured with `--trigger` or, failing that, with the
/// trigger hunt's suspect (marked estimated).
struct DefenseOptions: ParsableArguments {
    @Option(name: .long, help: "Pre-trained checkpoint folder, or 'minilm' (default: the one recorded in the victim's attack.json, else minilm).")
    var pre: String?

    @Option(name: .long, help: "The victim's folder: a fine-tuned checkpoint (attack.json, when finemix planted it, supplies data and trigger).")
    var victim: String

    @Option(name: .long, help: "Clean data: a built-in name or file (default: the defender pool recorded in attack.json; needed without it).")
    var clean: String?

    @Option(name: .long, help: "Test data: a built-in name or file (default: the test split recorded in attack.json; needed without it). The same source as --clean is split in two.")
    var test: String?

    @Option(name: .long, help: "The trigger ASR is measured with: word:W1,W2 | sentence:\"TEXT\" | ep:WORD (default: the recorded one, else the trigger hunt's suspect, marked estimated).")
    var trigger: String?

    @Option(name: .long, help: "The trigger's target label (default: the recorded one, else the label the trigger turns most clean sentences to).")
    var target: Int?

    @Option(name: .long, help: "Clean sentences used by the defence: the first N of the clean data.")
    var cleanSize: Int = 64

    @Option(name: .long, help: "Measure on the first N sentences of the test data only (default: all of it).")
    var testLimit: Int?

    @Option(name: .long, help: "Tokens per sequence (default: the victim's recorded one, else 64).")
    var maxLength: Int?

    @Flag(name: .long, help: "Decide as a defender who does not know the trigger: the trigger hunt, the automatic rho and E-PUR use nothing of the trigger recorded in attack.json, which only scores the result (true ASR).")
    var blind = false
}

/// The mixing choice and fine-tuning budget that defend, sweep and compare share, so one budget
/// means the same thing in every table.
struct BudgetOptions: ParsableArguments {
    @Option(name: .long, help: "Mixing selection: random, largest or smallest.")
    var select: String = "random"

    @Option(name: .long, help: "Fine-tuning epochs over the clean set.")
    var epochs: Int = FineTuneBudget.defaults.epochs

    @Option(name: .long, help: "Learning rate (AdamW, linear decay).")
    var lr: Double = FineTuneBudget.defaults.lr

    @Option(name: .long, help: "Batch size.")
    var batch: Int = FineTuneBudget.defaults.batch

    @Option(name: .long, help: "Seed of the mixing mask, the shuffles and dropout (compare: the first of its seeds).")
    var seed: UInt64 = FineTuneBudget.defaults.seed

    @Option(name: .long, help: BatchOrderOption.help)
    var batches: String = BatchOrder.default.rawValue

    @Option(name: .long, help: ShardsOption.help)
    var shards: Int = FineTuneRecipe.defaultShards

    func batchOrder() throws -> BatchOrder { try BatchOrderOption.parse(batches) }

    func selection() throws -> MixSpec.Select {
        guard let s = MixSpec.Select(rawValue: select.lowercased()) else {
            throw FinemixError("--select '\(select)': expected random, largest or smallest")
        }
        return s
    }
}

/// How compare and sweep take each seed's clean set from the pool (defend always takes the first N).
struct CleanDrawOptions: ParsableArguments {
    @Flag(name: .long, help: "Train every seed on the pool's first --clean-size sentences, as reports made before per-seed clean sets did (default: each seed draws its own clean set from the pool, so ± includes the clean set's variance).")
    var fixedClean = false

    var draw: CleanDraw { fixedClean ? .fixed : .perSeed }
}

/// E-PUR's two knobs where a defence may run it first (defend, compare).
struct EpurOptions: ParsableArguments {
    @Option(name: .long, help: "E-PUR: rows reset.")
    var epurTop: Int = 200

    @Option(name: .long, help: "E-PUR: frequency floor f_min of the score.")
    var epurFmin: Int = 20
}

/// The loaded inputs of a defence.
struct DefenseInputs {
    var pre: CheckpointFolder
    var victim: CheckpointFolder
    /// attack.json, when finemix planted the victim.
    var record: AttackRecord?
    var clean: [Example]
    /// Clean sentences beyond `clean` (the pool's rest): held out for the automatic ρ rule.
    var heldOut: [Example]
    /// The whole defender pool `clean` and `heldOut` come from.
    var pool: [Example]
    var test: [Example]
    var asrSet: [Example]
    /// The trigger behind ASR (nil: none known and none suspected, so ASR is not measured).
    var basis: ASRBasis?
    var maxLength: Int
    /// The hunt's report when it chose the trigger (or the automatic ρ's triggers).
    var hunt: TriggerHunt.Report?
    /// `--trigger` named the trigger (the automatic rule then estimates ASR with it, not the hunt's suspects).
    var named = false
    /// `--blind`: the recorded trigger only scores.
    var blind = false

    /// The target label passed to the evaluator (any label when there is no ASR set).
    var target: Int { basis?.target ?? 0 }

    init(_ o: DefenseOptions, read: DataReadOptions, workspace: WorkspaceOptions) throws {
        let dir = URL(fileURLWithPath: o.victim, isDirectory: true)
        // A LoRA adapter as the victim merges over --pre when its own base is not a local folder.
        victim = try CheckpointFolder(dir, adapterBase: o.pre.flatMap { $0 == "minilm" ? nil : URL(fileURLWithPath: $0, isDirectory: true) })
        let hasRecord = FileManager.default.fileExists(atPath: dir.appendingPathComponent(AttackRecord.fileName).path)
        record = try hasRecord ? AttackRecord.read(folder: dir) : nil
        let preURL: URL
        switch (o.pre, record) {
        case ("minilm"?, _), (nil, nil): preURL = try workspace.cache.minilm(progress: note)
        case (let p?, _): preURL = URL(fileURLWithPath: p, isDirectory: true)
        case (nil, let r?): preURL = URL(fileURLWithPath: r.pretrained, isDirectory: true)
        }
        pre = try CheckpointFolder(preURL)
        guard o.cleanSize >= 1 else {
            throw FinemixError("--clean-size \(o.cleanSize): the clean set is empty; the defence needs at least 1 clean sentence")
        }
        if let t = o.testLimit, t < 1 { throw FinemixError("--test-limit must be at least 1, found \(t)") }
        let numLabels = victim.config.numLabels
        let data = try VictimData(record: record, victim: dir, clean: o.clean, test: o.test, read: read, workspace: workspace,
                                  numLabels: numLabels)
        pool = data.pool
        guard !pool.isEmpty else { throw FinemixError("the clean set is empty: \(o.clean ?? "the recorded defender pool") has no sentences") }
        guard o.cleanSize <= pool.count else {
            throw FinemixError("--clean-size \(o.cleanSize): \(o.clean ?? "the recorded defender pool") has only \(pool.count) sentences")
        }
        clean = Array(pool.prefix(o.cleanSize))
        heldOut = Array(pool.dropFirst(o.cleanSize))
        test = o.testLimit.map { Array(data.test.prefix($0)) } ?? data.test
        guard !test.isEmpty else { throw FinemixError("\(o.test ?? record?.dataset ?? "the test data"): the test split is empty") }
        maxLength = o.maxLength ?? record?.recipe.maxLength ?? 64
        if let t = o.target, !(0..<numLabels).contains(t) {
            throw FinemixError("--target \(t): the victim has labels 0...\(numLabels - 1)")
        }

        // The trigger: named, recorded, or hunted (estimated).
        var seed: UInt64 = 1
        blind = o.blind
        if o.blind {
            guard let r = record else {
                throw FinemixError("--blind: \(dir.path) has no attack.json, so there is no recorded trigger to score the result with (without --blind the hunt's suspect estimates ASR)")
            }
            if o.trigger != nil || o.target != nil {
                throw FinemixError("--blind decides with the trigger hunt's suspects and scores with attack.json's trigger: drop --trigger and --target, or --blind")
            }
            basis = ASRBasis(trigger: r.recipe.trigger, target: r.recipe.target, estimated: false)
            seed = r.recipe.seed
        } else if let spec = o.trigger {
            named = true
            let trigger = try Trigger.parse(spec)
            let target = try o.target ?? record.map { $0.recipe.target } ?? Self.likelyTarget(of: trigger, pre: pre, victim: victim,
                                                                                            pool: pool, maxLength: maxLength)
            basis = ASRBasis(trigger: trigger, target: target, estimated: false)
            seed = record?.recipe.seed ?? 1
        } else if let r = record {
            basis = ASRBasis(trigger: r.recipe.trigger, target: o.target ?? r.recipe.target, estimated: false)
            seed = r.recipe.seed
        } else {
            note("\(dir.path) has no attack.json and no --trigger was given: hunting for the trigger on \(pool.count) clean sentences")
            let found = try Self.hunt(pre: pre, victim: victim, pool: pool, maxLength: maxLength)
            hunt = found
            note(found.verdict.text)
            if let s = found.suspect {
                basis = ASRBasis(trigger: s.trigger, target: o.target ?? s.target, estimated: true)
            } else {
                note("ASR is not measured: no trigger is known or suspected (--trigger names one)")
            }
        }
        if let basis {
            asrSet = try Poisoner.asrTestSet(test, config: PoisonConfig(trigger: basis.trigger, rate: 0, targetLabel: basis.target, seed: seed),
                                             numLabels: numLabels)
        } else {
            asrSet = []
        }
    }

    /// The clean set and held-out rest a defence with `seed` uses, drawn as `draw` says
    /// (`.fixed` gives `clean` and `heldOut`).
    func drawn(_ draw: CleanDraw, seed: UInt64) -> (clean: [Example], heldOut: [Example]) {
        draw.draw(pool, size: clean.count, seed: seed)
    }

    /// The triggers the automatic ρ estimates ASR with on `heldOut`: the one `--trigger` named,
    /// else the hunt's suspects (hunting now if no hunt ran); never the recorded trigger.
    mutating func ruleTriggers(_ heldOut: [Example]) throws -> [HeldOutTrigger] {
        let numLabels = victim.config.numLabels
        if named, let basis { return [try HeldOutTrigger(basis: basis, heldOut: heldOut, numLabels: numLabels, seed: 1)] }
        if hunt == nil {
            note("--rho auto: hunting for suspected triggers on \(pool.count) clean sentences (the recorded trigger is not used to choose ρ)")
            hunt = try Self.hunt(pre: pre, victim: victim, pool: pool, maxLength: maxLength)
            note(hunt!.verdict.text)
        }
        return try HeldOutTrigger.suspects(of: hunt!, heldOut: heldOut, numLabels: numLabels)
    }

    /// The blind run's sentence for every report (nil without --blind).
    var blindNote: String? {
        guard blind, let basis else { return nil }
        return "Blind run: the trigger hunt, the automatic ρ and E-PUR used only clean data; the trigger recorded in attack.json (\(basis.trigger) → \(basis.target)) only scored the result (true ASR)."
    }

    /// The split seed of a victim finemix planted (nil for any other victim).
    var splitSeed: UInt64? { record?.split.spec.seed }

    /// The trigger hunt on the victim with the clean pool (the same sentences and options as `finemix hunt`).
    static func hunt(pre: CheckpointFolder, victim: CheckpointFolder, pool: [Example], maxLength: Int,
                     options: TriggerHunt.Options = TriggerHunt.Options()) throws -> TriggerHunt.Report {
        try CheckpointFolder.checkSameVocabulary(pre: pre, victim: victim)
        let model = try VictimTraining.loadClassifier(victim)
        let tokenizer = try Tokenizer(vocabURL: victim.vocabURL)
        return try TriggerHunt.run(pre: pre.weights, victim: model, victimWeights: victim.weights, tokenizer: tokenizer,
                                   clean: pool, maxLength: maxLength, options: options, events: stderrEvents()).report
    }

    /// The label a named trigger turns most correct clean sentences to (when no target is given).
    static func likelyTarget(of trigger: Trigger, pre: CheckpointFolder, victim: CheckpointFolder, pool: [Example],
                             maxLength: Int) throws -> Int {
        let model = try VictimTraining.loadClassifier(victim)
        let evaluator = try Evaluator(model: model, tokenizer: try Tokenizer(vocabURL: victim.vocabURL), maxLength: maxLength)
        let options = TriggerHunt.Options()
        let r = try TriggerHunt.run(candidates: [(trigger, 0)], clean: pool, numLabels: model.config.numLabels,
                                    options: TriggerHunt.Options(sentences: options.sentences, screen: options.sentences),
                                    predict: { try evaluator.predict($0).labels })
        let c = r.candidates[0]
        note(String(format: "--target not given: %@ turns %.0f%% of %d clean sentences to label %d; that is the target", "\(trigger)",
                    100 * c.flipRate, c.n, c.target))
        return c.target
    }
}

/// The clean pool and the test data of a victim: recorded in attack.json, or named by --clean and
/// --test (one source named twice is split in two, seeded, so no sentence is in both). Only the
/// recorded split is read from attack.json here, never its trigger.
struct VictimData {
    var pool: [Example]
    var test: [Example]

    init(record: AttackRecord?, victim: URL, clean: String?, test testName: String?, read: DataReadOptions,
         workspace: WorkspaceOptions, numLabels: Int) throws {
        var parts: DataSplit?
        if let record {
            let dataset = try Datasets.load(record.dataset, options: record.readOptions ?? ReadOptions(), cache: workspace.cache, progress: note)
            guard dataset.numLabels == numLabels else {
                throw FinemixError("\(record.dataset) has \(dataset.numLabels) classes but the victim has \(numLabels)")
            }
            parts = try record.split.spec.apply(to: dataset)
        }
        func load(_ name: String, _ what: String) throws -> [Example] {
            let d = try read.load(name, cache: workspace.cache)
            guard d.numLabels == numLabels else {
                throw FinemixError("\(what) \(name) has \(d.numLabels) classes but the victim has \(numLabels)")
            }
            return d.examples
        }
        let missing = "\(victim.path) has no attack.json recording its data"
        switch (clean, testName) {
        case let (c?, t?) where c == t:
            // One source for both: a seeded shuffle, the test set the last half (at most 1,000).
            var rng = SeededRandom(seed: 1, stream: "victim-data")
            let all = rng.shuffled(try load(c, "--clean"))
            let n = min(1000, all.count / 2)
            pool = Array(all.dropLast(n)); test = Array(all.suffix(n))
        default:
            if let c = clean { pool = try load(c, "--clean") } else if let parts { pool = parts.cleanPool } else {
                throw FinemixError("--clean NAME|PATH is needed: \(missing)")
            }
            if let t = testName { test = try load(t, "--test") } else if let parts { test = parts.test } else {
                throw FinemixError("--test NAME|PATH is needed: \(missing)")
            }
        }
    }
}

/// `--rho`: a range, a comma list or one value (Defense's parseRange), each in [0, 1].
func parseRhoList(_ text: String) throws -> [Double] {
    let values = try parseRange(text, name: "--rho")
    for v in values where !(0...1).contains(v) { throw FinemixError("--rho \(v): every ρ must lie in [0, 1]") }
    return values
}

/// Progress on stderr, at most one line every few seconds per job (the CLI's event sink).
func stderrEvents(quiet: Bool = false) -> EventSink {
    let last = LastLine()
    return { e in
        guard !quiet else { return }
        switch e {
        case .progress(let p):
            if last.due() { note("\(p.job): \(p.text)") }
        case .log(_, let line): note(line)
        case .failed(let job, let message): note("\(job): \(message)")
        default: break
        }
    }
}

final class LastLine: @unchecked Sendable {
    private var at = Date.distantPast
    private let lock = NSLock()
    func due() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(at) >= 5 else { return false }
        at = now
        return true
    }
}

func pctText(_ x: Double?) -> String { x.map { String(format: "%.1f", 100 * $0) } ?? "–" }

/// `--shards` of attack, defend, sweep and compare.
enum ShardsOption {
    static let help: ArgumentHelp = "Parts each training step's batch is cut into, run side by side on the cores (part of the recipe: the gradient's sum, and so the bits, depend on it; recipes written before the option are re-made with 1)."
}

/// `--batches` of attack, defend, sweep and compare.
enum BatchOrderOption {
    static let help: ArgumentHelp = "How epochs are cut into batches: length-grouped (sentences of about one length together, little padding) or shuffled (the batches of recipes before length grouping)."

    static func parse(_ text: String) throws -> BatchOrder {
        guard let order = BatchOrder(rawValue: text.lowercased()) else {
            throw FinemixError("--batches '\(text)': expected length-grouped or shuffled")
        }
        return order
    }
}

extension DefenseInputs {
    /// The victim's score on the test split, read from the workspace's ScoreCache when this
    /// checkpoint was measured on these sentences before (DefenseRun's own measurement otherwise).
    func victimScore(workspace: WorkspaceOptions, precision: Precision = .fp32) throws -> DefenseScore {
        let key = try ScoreCache.key(victim: victim, test: test, asrSet: asrSet, targetLabel: target, maxLength: maxLength, basis: basis,
                                     precision: precision)
        let r = try ScoreCache(workspace: workspace.url).score(key: key) {
            let tokenizer = try Tokenizer(vocabURL: victim.vocabURL)
            return DefenseScore(try Evaluator.evaluate(model: try VictimTraining.loadClassifier(victim), tokenizer: tokenizer, test: test,
                                                       asrSet: asrSet, targetLabel: target, maxLength: maxLength, precision: precision),
                                basis: basis)
        }
        if r.cached { note("the victim's score on these \(test.count) + \(asrSet.count) sentences was measured before: reused") }
        return r.score
    }
}

/// `--precision` of defend, sweep and compare: every defence's fine-tuning and evaluations.
struct DefencePrecisionOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The fine-tuning and the evaluations (the victim's, each defence's, --rho auto's held-out ones): "
                                            + PrecisionOption.help + " Recorded in defense.json and the reports.", valueName: "fp32|bf16"))
    var precision: String = Precision.fp32.rawValue

    /// The recipes' precision: nil for FP32, which files record as absent.
    func recipe() throws -> Precision? { try PrecisionOption.parse(precision).recorded }
}

/// `--precision` of eval, predict and bench, and the parsing every `--precision` shares.
enum PrecisionOption {
    static let help = "The encoder's weight products in fp32 (the default) or bf16: BF16 weights and inputs with FP32 sums, about twice FP32's multiply rate on some CPUs with AVX512-BF16 (AMD Zen 4) and slower on others (Intel without AMX; `finemix bench` prints which), answers that may differ from fp32's near the decision boundary (docs/bf16.md)."

    static func parse(_ text: String) throws -> Precision {
        guard let p = Precision(rawValue: text.lowercased()) else {
            throw FinemixError("--precision '\(text)': expected fp32 or bf16")
        }
        try p.requireSupported()
        return p
    }
}
