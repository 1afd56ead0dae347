import ArgumentParser
import Defense
import Foundation

/// `finemix sweep`: ACC and ASR against ρ for mixing only and Fine-mixing, and the automatic ρ.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "ACC and ASR against rho for mixing only and Fine-mixing, with the automatic choice of rho.",
        discussion: """
            For every rho: mixing only (evaluated as mixed) and Fine-mixing (mixed, then fine-tuned on \
            the clean set). The clean set is the --clean-size sentences the seed draws from the defender \
            pool, as compare's run of that seed draws them (--fixed-clean: the pool's first ones). The \
            automatic rule of docs/method.md uses clean data only: after Fine-mixing, ACC on the \
            held-out clean sentences (the rest of the pool) is measured, \
            and the smallest rho whose held-out ACC is within --tolerance of rho = 1's is chosen \
            (so the sweep must include rho = 1). --rho auto sweeps --auto-grid and chooses with the \
            newer rule instead: the smallest estimated ASR (the trigger hunt's suspects, or --trigger, \
            inserted into the held-out sentences) among the rho whose held-out ACC is within the 95% \
            interval of rho = 1's.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions
    @OptionGroup var inputs: DefenseOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var cleanDraw: CleanDrawOptions
    @OptionGroup var precision: DefencePrecisionOption

    @Option(name: .long, help: "FROM:TO:STEP or a comma list of rho values in [0, 1], or auto (--auto-grid, chosen by the automatic rule of docs/method.md).")
    var rho: String = "0:1:0.1"

    @OptionGroup var auto: AutoRhoOptions


    @Flag(name: .long, help: "E-PUR before mixing.")
    var epur = false





    @Option(name: .long, help: "Automatic rule: held-out ACC within this many points (fraction) of rho = 1's.")
    var tolerance: Double = 0.02

    @Flag(name: .long, help: "Mixing only: skip Fine-mixing (and the automatic rule).")
    var mixOnly = false

    @Option(name: .long, help: "Write the table as CSV here.")
    var csv: String?

    @Option(name: .long, help: "Write the JSON report here.")
    var json: String?

    @OptionGroup var planOptions: PlanOptions

    typealias Point = SweepPoint

    func run() throws {
        try failing {
            let automatic = rho.lowercased() == "auto"
            let rhos = try automatic ? auto.grid() : parseRhoList(rho)
            if automatic && mixOnly { throw FinemixError("--rho auto judges Fine-mixing: drop --mix-only") }
            if automatic && planOptions.plan != nil { throw FinemixError("--rho auto runs in one process: drop --plan") }
            let sel = try budget.selection()
            let order = try budget.batchOrder()
            let products = try precision.recipe()
            guard tolerance.isFinite, tolerance >= 0, tolerance <= 1 else { throw FinemixError("--tolerance must be in [0, 1], found \(tolerance)") }
            func recipe(_ m: DefenseRecipe.Method, _ r: Double, maxLength: Int) -> DefenseRecipe {
                DefenseRecipe(method: m, rho: r, select: sel, epur: epur, cleanSize: inputs.cleanSize, epochs: budget.epochs, lr: budget.lr,
                              batch: budget.batch, seed: budget.seed, maxLength: maxLength, batches: order, shards: budget.shards)
                    .at(products)
            }
            try recipe(.finemix, 1, maxLength: inputs.maxLength ?? 64).validate()
            try planOptions.check()
            if planOptions.plan != nil { return try writePlan(rhos) }
            var d = try DefenseInputs(inputs, read: read, workspace: workspace)
            let drawn = d.drawn(cleanDraw.draw, seed: budget.seed)
            let heldOutSet = Array(drawn.heldOut.prefix(max(0, auto.heldOut)))
            if automatic && heldOutSet.isEmpty {
                throw FinemixError("--rho auto: the clean pool has no sentences beyond the \(d.clean.count) the defence uses, so nothing is held out to judge ρ with")
            }
            let triggers = automatic ? try d.ruleTriggers(heldOutSet) : []
            note(cleanDraw.draw == .fixed ? "clean set: the first \(d.clean.count) of the pool's \(d.pool.count) sentences"
                 : "clean set: \(d.clean.count) of the pool's \(d.pool.count) sentences, drawn for seed \(budget.seed)")
            if !mixOnly && heldOutSet.isEmpty {
                note("no held-out clean sentences (the pool has none beyond --clean-size): the automatic rule is skipped")
            }
            let victimBefore = try d.victimScore(workspace: workspace, precision: products ?? .fp32)
            let basis = Basis(victim: d.victim.url.path, nClean: d.clean.count, nHeldOut: mixOnly ? 0 : heldOutSet.count,
                              command: (["finemix"] + CommandLine.arguments.dropFirst()).joined(separator: " "), asrBasis: d.basis,
                              blind: d.blindNote, precision: products)
            var template = recipe(.finemix, 1, maxLength: d.maxLength)
            template.cleanSize = d.clean.count
            let data = RhoSweep.Data(clean: drawn.clean, heldOut: mixOnly ? [] : heldOutSet, test: d.test, asrSet: d.asrSet, basis: d.basis,
                                     heldOutTriggers: triggers)
            var points: [Point] = []
            let result = try RhoSweep.run(pre: d.pre, victim: d.victim, data: data,
                                          options: RhoSweep.Options(rhos: rhos, fineMixing: !mixOnly, recipe: template),
                                          before: victimBefore, events: stderrEvents(quiet: true)) { cell in
                let p = cell.point
                points.append(p)
                note("ρ = \(p.rho): mixing ACC \(pctText(p.mixAcc)) ASR \(pctText(p.mixAsr))"
                     + (mixOnly ? "" : "; Fine-mixing ACC \(pctText(p.fmixAcc)) ASR \(pctText(p.fmixAsr)) held-out ACC \(pctText(p.heldOutAcc))"))
                try write(points, before: cell.before, auto: nil, basis: basis)
            }
            let before = result.before
            let rule = automatic ? AutomaticRho.choose(points, nHeldOut: heldOutSet.count, triggers: triggers) : nil
            try finish(points, before: before, basis: basis, rule: rule)
        }
    }

    /// What the report says besides the points: the victim, the sets' sizes and the command.
    struct Basis {
        var victim: String
        var nClean: Int
        /// Held-out sentences the automatic rule used (0 with --mix-only).
        var nHeldOut: Int
        var command: String
        /// The trigger ASR was measured with; `estimated` when it is the hunt's suspect.
        var asrBasis: ASRBasis?
        /// `--blind`'s sentence.
        var blind: String? = nil
        /// The products' precision in every defence (nil: FP32).
        var precision: Precision? = nil
    }

    /// The end of a sweep, run here or collected from a plan: the automatic ρ, the files, the
    /// table and the chart. `rule`: the automatic rule's choice (`--rho auto`), else the old rule runs.
    func finish(_ points: [Point], before: DefenseScore, basis: Basis, rule: AutoRho? = nil) throws {
        let auto = mixOnly ? nil : rule.map(\.rho) ?? RhoSweep.automaticRho(points, tolerance: tolerance)
        try write(points, before: before, auto: auto, basis: basis, rule: rule)
        if basis.precision == .bf16 { print("every defence's training and evaluations in BF16 (docs/bf16.md)") }
        print(table(points, before: before))
        print(chart(points))
        if let rule {
            rule.lines.forEach { print($0) }
            if let auto, let p = points.first(where: { $0.rho == auto }) {
                print("at ρ = \(AutomaticRho.fmtRho(auto)): Fine-mixing ACC \(pctText(p.fmixAcc)) \(p.asrBasis?.label ?? "ASR") \(pctText(p.fmixAsr)) (test split)")
            }
            if let b = basis.blind { print(b) }
        } else if !mixOnly {
            if let auto, let p = points.first(where: { $0.rho == auto }) {
                print("automatic ρ (held-out clean ACC within \(pctText(tolerance)) points of ρ = 1's, \(basis.nHeldOut) held-out sentences): "
                      + "ρ = \(AutomaticRho.fmtRho(auto)): Fine-mixing ACC \(pctText(p.fmixAcc)) ASR \(pctText(p.fmixAsr))")
            } else {
                print("automatic ρ: none (it needs ρ = 1 in the sweep and held-out clean sentences)")
            }
        }
    }

    /// The widest ρ label, so the table's rows and the chart's bars line up.
    func rhoWidth(_ points: [Point]) -> Int { points.map { AutomaticRho.fmtRho($0.rho).count }.max() ?? 1 }

    func table(_ points: [Point], before: DefenseScore) -> String {
        var s = "victim: ACC \(pctText(before.acc)) \(before.asrText) (%)\n"
        if let b = before.asrBasis, b.estimated { s += "every ASR below is \(b.note)\n" }
        let w = max(4, rhoWidth(points))
        s += "ρ".rightAligned(w) + "  " + "mix ACC".rightAligned(7) + "  " + "mix ASR".rightAligned(7)
            + (mixOnly ? "" : "  " + "FMix ACC".rightAligned(8) + "  " + "FMix ASR".rightAligned(8) + "  " + "held-out ACC".rightAligned(12)) + "\n"
        for p in points {
            // Foundation's %@ ignores a width on Linux: pad by hand so the columns line up.
            s += AutomaticRho.fmtRho(p.rho).rightAligned(w) + "  " + pctText(p.mixAcc).rightAligned(7) + "  " + pctText(p.mixAsr).rightAligned(7)
            if !mixOnly {
                s += "  " + pctText(p.fmixAcc).rightAligned(8) + "  " + pctText(p.fmixAsr).rightAligned(8)
                    + "  " + pctText(p.heldOutAcc).rightAligned(12)
            }
            s += "\n"
        }
        return s
    }

    /// One row per ρ: ACC as `=` and ASR as `#` on a 0–100% scale of 40 columns.
    func chart(_ points: [Point]) -> String {
        let width = 40
        func bar(_ x: Double?, _ ch: Character) -> String {
            guard let x else { return String(repeating: " ", count: width) }
            let n = max(0, min(width, Int((x * Double(width)).rounded())))
            return String(repeating: ch, count: n) + String(repeating: "·", count: width - n)
        }
        var s = (mixOnly ? "mixing only" : "Fine-mixing") + ": ACC (=) and ASR (#) against ρ, 0–100%\n"
        let labelWidth = rhoWidth(points)
        for p in points {
            let acc = mixOnly ? p.mixAcc : p.fmixAcc, asr = mixOnly ? p.mixAsr : p.fmixAsr
            s += AutomaticRho.fmtRho(p.rho).rightAligned(labelWidth) + " ACC |" + bar(acc, "=") + "|\n"
            s += String(repeating: " ", count: labelWidth) + " ASR |" + bar(asr, "#") + "|\n"
        }
        return s
    }

    func write(_ points: [Point], before: DefenseScore, auto: Double?, basis: Basis, rule: AutoRho? = nil) throws {
        if let csv {
            var s = "rho,mix_acc,mix_asr,finemix_acc,finemix_asr,held_out_acc\n"
            func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "" }
            for p in points { s += "\(AutomaticRho.fmtRho(p.rho)),\(f(p.mixAcc)),\(f(p.mixAsr)),\(f(p.fmixAcc)),\(f(p.fmixAsr)),\(f(p.heldOutAcc))\n" }
            try AtomicFile.write(Data(s.utf8), to: URL(fileURLWithPath: csv))
        }
        if let json {
            let r = SweepReport(victim: basis.victim, nClean: basis.nClean, nHeldOut: basis.nHeldOut, epur: epur,
                                seed: budget.seed, select: budget.select, epochs: budget.epochs, lr: budget.lr, batch: budget.batch, tolerance: tolerance,
                                before: before, points: points, autoRho: auto, command: basis.command, asrBasis: basis.asrBasis,
                                cleanDraw: cleanDraw.draw, autoRule: rule, blind: basis.blind, precision: basis.precision)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try enc.encode(r) + Data("\n".utf8), to: URL(fileURLWithPath: json))
        }
    }
}

/// The sweep's JSON report (and a plan cell's, which collect reads back).
struct SweepReport: Codable {
    var victim: String; var nClean: Int; var nHeldOut: Int; var epur: Bool; var seed: UInt64; var select: String
    var epochs: Int; var lr: Double; var batch: Int; var tolerance: Double
    var before: DefenseScore; var points: [SweepCommand.Point]; var autoRho: Double?; var command: String
    var asrBasis: ASRBasis?
    /// How the seed's clean set came from the pool; nil in reports made before it was a choice
    /// (the pool's first N: `--fixed-clean` reruns them).
    var cleanDraw: CleanDraw?
    /// `--rho auto`'s choice: the rule, the candidates and why (absent otherwise).
    var autoRule: AutoRho? = nil
    var blind: String? = nil
    /// The products' precision of every defence and evaluation; absent: FP32, as every report
    /// before the choice.
    var precision: Precision? = nil
    enum CodingKeys: String, CodingKey {
        case victim, epur, seed, select, epochs, lr, batch, tolerance, before, points, command, blind, precision
        case asrBasis = "asr_basis", cleanDraw = "clean_draw", autoRule = "auto_rule"
        case nClean = "n_clean", nHeldOut = "n_held_out", autoRho = "auto_rho"
    }
}
