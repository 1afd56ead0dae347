import ArgumentParser
import Defense
import Foundation

/// `finemix compare`: the paper-style table: every method with and without E-PUR on one victim,
/// one clean-set size and one budget, mean ± std over seeds.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare every defence, with and without E-PUR, on one victim: mean ± std of ACC and ASR over seeds.",
        discussion: """
            Rows: the victim, E-PUR alone, mixing only, Fine-tuning, Fine-pruning, Fine-mixing (each \
            also after E-PUR) and retraining from the pre-trained encoder (rho 0). Every row that \
            fine-tunes uses the same budget, and with one seed the same clean sentences. Seeds s, s+1, … \
            seed the mixing masks, shuffles and dropout, and each draws its own --clean-size sentences \
            from the defender pool (--fixed-clean: the pool's first ones for every seed), so mean ± std \
            includes the clean set's variance; the report names the sources it includes. The tables \
            are rewritten after every run, so an interrupted comparison keeps what finished.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions
    @OptionGroup var inputs: DefenseOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var epurOptions: EpurOptions
    @OptionGroup var cleanDraw: CleanDrawOptions
    @OptionGroup var precision: DefencePrecisionOption

    @Option(name: .long, help: "Fraction of weights kept from the victim by mixing and Fine-mixing, or auto (chosen once, on the first seed, by the automatic rule of docs/method.md).")
    var rho: String = "0.3"

    @OptionGroup var auto: AutoRhoOptions




    @Option(name: .long, help: "Fine-pruning: fraction of neurons pruned per layer.")
    var pruneRatio: Double = 0.3




    @Option(name: .long, help: "Number of seeds.")
    var seeds: Int = 3

    @Option(name: .long, help: "Victims: the victim and its attack planted again on N-1 further split seeds (its recorded seed + 1, …; cached in the workspace), each defended with every seed, so ± includes the victim's and the split's variance. Needs a victim finemix planted.")
    var splitSeeds: Int = 1


    @Option(name: .long, help: "Comma list of rows to run, e.g. finetune,finemix+epur (default: all).")
    var only: String?

    @Option(name: .long, help: "Write the Markdown table here.")
    var markdown: String?

    @Option(name: .long, help: "Write the JSON report here.")
    var json: String?

    @OptionGroup var planOptions: PlanOptions

    static let allRows: [(DefenseRecipe.Method, Bool)] = [
        (.none, true), (.mix, false), (.mix, true), (.finetune, false), (.finetune, true),
        (.fineprune, false), (.fineprune, true), (.finemix, false), (.finemix, true), (.retrain, false),
    ]

    static func key(_ m: DefenseRecipe.Method, _ epur: Bool) -> String { m.rawValue + (epur ? "+epur" : "") }

    func run() throws {
        try failing {
            guard seeds >= 1, seeds <= 100 else { throw FinemixError("--seeds must be in 1...100, found \(seeds)") }
            guard splitSeeds >= 1, splitSeeds <= 20 else { throw FinemixError("--split-seeds must be in 1...20, found \(splitSeeds)") }
            let sel = try budget.selection()
            let order = try budget.batchOrder()
            let products = try precision.recipe()
            let rows = try selectedRows()
            let fixedRho = try parseRhoOrAuto(rho)
            let grid = fixedRho == nil ? try auto.grid() : nil
            var rho = fixedRho ?? 1
            func recipe(_ m: DefenseRecipe.Method, _ epur: Bool, _ s: UInt64, maxLength: Int) -> DefenseRecipe {
                DefenseRecipe(method: m, rho: rho, select: sel, epur: epur, epurTop: epurOptions.epurTop, epurFmin: epurOptions.epurFmin,
                              cleanSize: inputs.cleanSize, epochs: budget.epochs, lr: budget.lr, batch: budget.batch, seed: s,
                              pruneRatio: pruneRatio, maxLength: maxLength, batches: order, shards: budget.shards)
                    .at(products)
            }
            try recipe(.finemix, true, budget.seed, maxLength: inputs.maxLength ?? 64).validate()
            try planOptions.check()
            if grid != nil && planOptions.plan != nil { throw FinemixError("--rho auto runs in one process: drop --plan") }
            if planOptions.plan != nil {
                // A plan's cells name their victim folders, which must exist before it is written.
                guard splitSeeds == 1 else {
                    throw FinemixError("--split-seeds with --plan: plant the split victims first (run the compare here once, or `finemix attack --seed S` per split) and plan a compare for each")
                }
                return try writePlan(rows)
            }
            var victims = try splitVictims(try DefenseInputs(inputs, read: read, workspace: workspace), precision: products ?? .fp32)
            var d = victims[0].inputs
            let before = victims[0].before
            let start = Date()
            var choice: AutoRho?
            if let grid {
                // Chosen once, on the first victim and seed; every run then uses it.
                let drawn = d.drawn(cleanDraw.draw, seed: budget.seed)
                let a = try d.autoRho(grid: grid, recipe: recipe(.finemix, false, budget.seed, maxLength: d.maxLength), clean: drawn.clean,
                                      heldOut: Array(drawn.heldOut.prefix(max(0, auto.heldOut))), before: before, keepChosen: false)
                guard let r = a.choice.rho else { throw FinemixError("--rho auto: " + a.choice.reason) }
                rho = r
                choice = a.choice
                victims[0].inputs = d
            }
            let tokenizer = try Tokenizer(vocabURL: d.victim.vocabURL)
            var report = CompareReport(victim: d.victim.url.path, trigger: d.basis?.trigger.description ?? "none known",
                                       pre: d.pre.url.path, nClean: d.clean.count, nTest: before.nTest, nAsr: before.nAsr,
                                       seeds: (0..<seeds).map { budget.seed + UInt64($0) }, rho: rho, select: sel.rawValue,
                                       epochs: budget.epochs, lr: budget.lr, batch: budget.batch,
                                       steps: recipe(.finetune, false, budget.seed, maxLength: d.maxLength).fineTune.totalSteps(examples: d.clean.count),
                                       epurTop: epurOptions.epurTop, epurFmin: epurOptions.epurFmin, pruneRatio: pruneRatio,
                                       command: (["finemix"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                                       before: before, rows: [], seconds: 0, autoRho: choice, blind: d.blindNote, precision: products)
            report.describeVariance(draw: cleanDraw.draw, nPool: d.pool.count, splitSeed: d.splitSeed, splitSeeds: victims.count)
            if victims.count > 1 {
                report.victims = victims.map { CompareVictim(splitSeed: $0.inputs.splitSeed ?? 0, path: $0.inputs.victim.url.path,
                                                              acc: $0.before.acc, asr: $0.before.asr) }
            }
            for (m, epur) in rows {
                var row = CompareRow(key: Self.key(m, epur), title: recipe(m, epur, budget.seed, maxLength: d.maxLength).title, runs: [])
                report.rows.append(row)
                for v in victims {
                    let d = v.inputs
                    for s in report.seeds {
                        let r = recipe(m, epur, s, maxLength: d.maxLength)
                        let out = try DefenseRun.run(pre: d.pre, victim: d.victim, clean: d.drawn(cleanDraw.draw, seed: s).clean,
                                                     test: d.test, asrSet: d.asrSet,
                                                     targetLabel: d.target, recipe: r, before: v.before, asrBasis: d.basis,
                                                     tokenizer: tokenizer, events: stderrEvents(quiet: true))
                        let res = out.result
                        row.runs.append(CompareRun(seed: s, splitSeed: victims.count > 1 ? d.splitSeed : nil, acc: res.after.acc,
                                                   asr: res.after.asr, steps: res.steps, seconds: res.seconds,
                                                   epurTop10: res.epur.map { Array($0.tokens.prefix(10).map(\.token)) }))
                        report.rows[report.rows.count - 1] = row
                        report.seconds = Date().timeIntervalSince(start)
                        let split = victims.count > 1 ? " split seed \(d.splitSeed ?? 0)" : ""
                        note(String(format: "%@%@ seed %llu: ACC %@ ASR %@ (%.0fs)", r.title, split, s, pctText(res.after.acc), pctText(res.after.asr), res.seconds))
                        try write(report)
                    }
                }
            }
            try finish(report)
        }
    }

    /// The victim, then (--split-seeds) its attack planted on the next split seeds, each measured
    /// before any defence (in `precision`, as the defences' after-scores). The planted victims are
    /// kept in the workspace and reused by later runs.
    func splitVictims(_ first: DefenseInputs, precision: Precision) throws -> [(inputs: DefenseInputs, before: DefenseScore)] {
        var victims = [first]
        if splitSeeds > 1 {
            guard let record = first.record, let seed = first.splitSeed else {
                throw FinemixError("--split-seeds \(splitSeeds): \(first.victim.url.path) has no attack.json, so its attack cannot be planted on other splits; give victims finemix planted")
            }
            for k in 1..<UInt64(splitSeeds) {
                let request = try SplitVictims.request(like: record, pretrained: first.pre.url, splitSeed: seed + k, cache: workspace.cache)
                note("planting the victim's attack on split seed \(seed + k)")
                let line = ProgressLine()
                let planted = try SplitVictims.plant(request, workspace: workspace.url, events: line.sink)
                line.finish()
                note((planted.reused ? "using the victim planted earlier on split seed \(seed + k): " : "planted: ") + planted.folder.path)
                var o = inputs
                o.victim = planted.folder.path
                o.pre = first.pre.url.path
                victims.append(try DefenseInputs(o, read: read, workspace: workspace))
            }
        }
        return try victims.map { v in
            note("measuring the victim\(victims.count > 1 ? " of split seed \(v.splitSeed ?? 0)" : "") on \(v.test.count) test sentences (\(v.asrSet.count) triggered)")
            return (v, try v.victimScore(workspace: workspace, precision: precision))
        }
    }

    /// The rows --only names, in its order (the rows that matter most can run first), or all.
    func selectedRows() throws -> [(DefenseRecipe.Method, Bool)] {
        guard let only else { return Self.allRows }
        let wanted = only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for w in wanted where !Self.allRows.contains(where: { Self.key($0.0, $0.1) == w }) {
            throw FinemixError("--only '\(w)': expected one of " + Self.allRows.map { Self.key($0.0, $0.1) }.joined(separator: ", "))
        }
        return wanted.compactMap { w in Self.allRows.first { Self.key($0.0, $0.1) == w } }
    }

    /// The end of a comparison, run here or collected from a plan: the files and the table.
    func finish(_ report: CompareReport) throws {
        try write(report)
        print(report.markdown(), terminator: "")
    }

    func write(_ r: CompareReport) throws {
        if let markdown { try AtomicFile.write(Data(r.markdown().utf8), to: URL(fileURLWithPath: markdown)) }
        if let json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try enc.encode(r) + Data("\n".utf8), to: URL(fileURLWithPath: json))
        }
    }
}

struct CompareRun: Codable {
    var seed: UInt64
    /// The victim's split seed, when the comparison spans several (--split-seeds).
    var splitSeed: UInt64?
    var acc: Double
    var asr: Double?
    var steps: Int
    var seconds: Double
    var epurTop10: [String]?
    enum CodingKeys: String, CodingKey { case seed, acc, asr, steps, seconds, epurTop10 = "epur_top10", splitSeed = "split_seed" }
}

/// One victim of a comparison over split seeds, before any defence.
struct CompareVictim: Codable {
    var splitSeed: UInt64
    var path: String
    var acc: Double
    var asr: Double?
    enum CodingKeys: String, CodingKey { case path, acc, asr, splitSeed = "split_seed" }
}

struct CompareRow: Codable {
    var key: String
    var title: String
    var runs: [CompareRun]
    var acc: MeanStd { MeanStd(runs.map(\.acc)) }
    var asr: MeanStd { MeanStd(runs.compactMap(\.asr)) }

    enum CodingKeys: String, CodingKey { case key, title, runs, acc, asr }
    init(key: String, title: String, runs: [CompareRun]) { self.key = key; self.title = title; self.runs = runs }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key); title = try c.decode(String.self, forKey: .title)
        runs = try c.decode([CompareRun].self, forKey: .runs)
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key); try c.encode(title, forKey: .title); try c.encode(runs, forKey: .runs)
        try c.encode(acc, forKey: .acc); try c.encode(asr, forKey: .asr)
    }
}

/// Mean and sample standard deviation (0 for one value).
struct MeanStd: Codable {
    var mean: Double
    var std: Double
    var n: Int
    init(_ xs: [Double]) {
        n = xs.count
        let m = xs.isEmpty ? Double.nan : xs.reduce(0, +) / Double(xs.count)
        mean = m
        std = xs.count < 2 ? 0 : (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
    }
    var text: String {
        n == 0 ? "–" : n == 1 ? String(format: "%.1f", 100 * mean) : String(format: "%.1f ± %.1f", 100 * mean, 100 * std)
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if mean.isFinite { try c.encode(mean, forKey: .mean) } else { try c.encodeNil(forKey: .mean) }
        try c.encode(std, forKey: .std); try c.encode(n, forKey: .n)
    }
}

struct CompareReport: Codable {
    var victim: String
    var trigger: String
    var pre: String
    var nClean: Int
    var nTest: Int
    var nAsr: Int
    var seeds: [UInt64]
    var rho: Double
    var select: String
    var epochs: Int
    var lr: Double
    var batch: Int
    var steps: Int
    var epurTop: Int
    var epurFmin: Int
    var pruneRatio: Double
    var command: String
    var before: DefenseScore
    var rows: [CompareRow]
    var seconds: Double
    /// How each seed's clean set came from the pool; nil in reports made before it was a choice
    /// (they used the pool's first N: `--fixed-clean` reruns them).
    var cleanDraw: CleanDraw?
    var nPool: Int?
    var splitSeed: UInt64?
    /// What the ± over seeds includes.
    var variance: [String]?
    /// `--rho auto`'s choice (absent otherwise).
    var autoRho: AutoRho? = nil
    var blind: String? = nil
    /// The products' precision of every defence and evaluation; absent: FP32, as every report
    /// before the choice.
    var precision: Precision? = nil

    /// Every victim's score before defence, when the comparison spans several split seeds.
    var victims: [CompareVictim]?

    mutating func describeVariance(draw: CleanDraw, nPool: Int, splitSeed: UInt64?, splitSeeds: Int = 1) {
        cleanDraw = draw; self.nPool = nPool; self.splitSeed = splitSeed
        variance = draw.varianceSources(splitSeeds: splitSeeds)
    }

    enum CodingKeys: String, CodingKey {
        case victim, trigger, pre, seeds, rho, select, epochs, lr, batch, steps, command, before, rows, seconds, variance, blind, precision
        case autoRho = "auto_rho"
        case cleanDraw = "clean_draw", nPool = "n_pool", splitSeed = "split_seed", victims
        case nClean = "n_clean", nTest = "n_test", nAsr = "n_asr", epurTop = "epur_top", epurFmin = "epur_fmin", pruneRatio = "prune_ratio"
    }

    func markdown() -> String {
        var s = "Victim `\(victim)` (trigger \(trigger)\(before.asrBasis?.estimated == true ? ", the trigger hunt's suspect: every ASR is estimated" : "")); \(nClean) clean sentences; ACC on \(nTest) test sentences, "
        s += "ASR on \(nAsr) triggered ones (%). Budget: \(epochs) epochs, batch \(batch), lr \(lr) = \(steps) steps. "
        s += "ρ = \(rho) (\(select)); E-PUR top \(epurTop), f_min \(epurFmin); Fine-pruning ratio \(pruneRatio). "
        s += "Seeds \(seeds.map(String.init).joined(separator: ", ")): mean ± std.\n\n"
        if precision == .bf16 { s += "Every defence's training and evaluations, and the victim's, in BF16 (docs/bf16.md).\n\n" }
        if let variance {
            var fixed = [splitSeed.map { "one victim (split seed \($0))" } ?? "one victim"]
            if let victims { fixed = ["the attack's recipe (victims of split seeds \(victims.map { String($0.splitSeed) }.joined(separator: ", ")))"] }
            if cleanDraw == .fixed { fixed.append(victims == nil ? "one clean set (the pool's first \(nClean))" : "one clean set per victim (its pool's first \(nClean))") }
            // The pool's size belongs next to "clean set", wherever the list puts it.
            let named = variance.map { $0 == "clean set" && cleanDraw == .perSeed ? $0 + (nPool.map { " (\(nClean) of the pool's \($0) sentences per seed)" } ?? "") : $0 }
            s += "Sources of variance in ±: " + named.joined(separator: ", ")
            s += "; held fixed: " + fixed.joined(separator: ", ") + ".\n\n"
        }
        if let autoRho { s += autoRho.lines.joined(separator: "\n") + "\n\n" }
        if let blind { s += blind + "\n\n" }
        s += "| Method | ACC | \(before.asrBasis?.label ?? "ASR") | runs |\n|---|---:|---:|---:|\n"
        if let victims {
            s += "| Victims (no defence) | \(MeanStd(victims.map(\.acc)).text) | \(MeanStd(victims.compactMap(\.asr)).text) | \(victims.count) |\n"
        } else {
            s += "| Victim (no defence) | \(pctText(before.acc)) | \(pctText(before.asr)) | – |\n"
        }
        for r in rows { s += "| \(r.title) | \(r.acc.text) | \(r.asr.text) | \(r.runs.count) |\n" }
        if let top = rows.first(where: { $0.runs.first?.epurTop10 != nil })?.runs.first?.epurTop10 {
            s += "\nE-PUR top 10 (seed \(seeds[0])): " + top.map { "`\($0)`" }.joined(separator: " ") + "\n"
        }
        if let victims {
            s += "\nVictims: " + victims.map { "split seed \($0.splitSeed) `\($0.path)` (ACC \(pctText($0.acc)), ASR \(pctText($0.asr)))" }
                .joined(separator: "; ") + ".\n"
        }
        s += "\nCommand: `\(command)`\n"
        return s
    }
}
