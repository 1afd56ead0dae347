import ArgumentParser
import Defense
import Foundation

/// `finemix defend`: one defence of docs/method.md on one victim, saved with its `defense.json`.
struct DefendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defend",
        abstract: "Defend a victim: Fine-mixing, Fine-tuning, Fine-pruning, mixing only, retraining, E-PUR.",
        discussion: """
            finemix: (E-PUR) → keep a fraction rho of the victim's weights → fine-tune on the clean set. \
            finetune: fine-tune the victim. fineprune: zero the --prune-ratio lowest-activation \
            feed-forward neurons of each layer, then fine-tune with them held at zero. mix: mixing \
            only. retrain: rho 0 (the pre-trained encoder with the victim's head), then fine-tune. \
            none: evaluation only (with --epur: E-PUR alone). Every method that trains uses the same \
            budget: --epochs over the clean set in batches of --batch.
            By default the clean set is the first --clean-size sentences of the defender pool and \
            ACC/ASR are measured on the test split and trigger recorded in the victim's attack.json, \
            so clean, test and attacker data never overlap.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions
    @OptionGroup var inputs: DefenseOptions
    @OptionGroup var budget: BudgetOptions
    @OptionGroup var epurOptions: EpurOptions

    @Option(name: .long, help: "finemix, finetune, fineprune, mix, retrain or none.")
    var method: String

    @Option(name: .long, help: "Fraction of weights kept from the victim, in [0, 1] (finemix, mix), or auto (finemix: Fine-mixing at every rho of --auto-grid, then the automatic rule of docs/method.md).")
    var rho: String = "0.3"

    @OptionGroup var auto: AutoRhoOptions


    @Flag(name: .long, help: "Run E-PUR first: reset the top-scored word-embedding rows to the pre-trained ones.")
    var epur = false



    @Option(name: .long, help: "Fine-pruning: fraction of feed-forward neurons pruned per layer.")
    var pruneRatio: Double = 0.3





    @OptionGroup var precision: DefencePrecisionOption

    @Option(name: .long, help: "Write the defended checkpoint and defense.json into this folder.")
    var out: String

    @OptionGroup var replace: ReplaceOption

    @Flag(name: .long, help: "Print defense.json on stdout.")
    var json = false

    func recipe(maxLength: Int) throws -> DefenseRecipe {
        guard let m = DefenseRecipe.Method(rawValue: method.lowercased()) else {
            throw FinemixError("--method '\(method)': expected finemix, finetune, fineprune, mix, retrain or none")
        }
        let s = try budget.selection()
        let fixed = try parseRhoOrAuto(rho)
        if fixed == nil, m != .finemix {
            throw FinemixError("--rho auto chooses ρ for Fine-mixing: use it with --method finemix, not \(m.rawValue)")
        }
        let r = DefenseRecipe(method: m, rho: fixed ?? 1, select: s, epur: epur, epurTop: epurOptions.epurTop, epurFmin: epurOptions.epurFmin,
                              cleanSize: inputs.cleanSize, epochs: budget.epochs, lr: budget.lr, batch: budget.batch, seed: budget.seed,
                              pruneRatio: pruneRatio, maxLength: maxLength, batches: try budget.batchOrder(), shards: budget.shards)
            .at(try precision.recipe())
        try r.validate()
        return r
    }

    func run() throws {
        try failing {
            // Refuse bad settings before loading anything.
            _ = try recipe(maxLength: inputs.maxLength ?? 64)
            let victimInput = (what: "the victim", url: URL(fileURLWithPath: inputs.victim, isDirectory: true))
            _ = try OutputFolder(path: out, command: "defend", force: replace.force, inputs: workspace.inputs + [victimInput])
            let grid = try parseRhoOrAuto(rho) == nil ? try auto.grid() : nil
            var d = try DefenseInputs(inputs, read: read, workspace: workspace)
            let recipe = try recipe(maxLength: d.maxLength)
            if recipe.epur, recipe.epurTop > d.victim.config.vocabSize - 3 {
                throw FinemixError("--epur-top \(recipe.epurTop): larger than the \(d.victim.config.vocabSize - 3) candidate tokens of the vocabulary")
            }
            let before = try d.victimScore(workspace: workspace, precision: recipe.evaluation ?? .fp32)
            var outcome: DefenseRun.Outcome
            if let grid {
                let a = try d.autoRho(grid: grid, recipe: recipe, clean: d.clean, heldOut: Array(d.heldOut.prefix(max(0, auto.heldOut))),
                                      before: before, keepChosen: true)
                guard var chosen = a.chosen else { throw FinemixError("--rho auto: " + a.choice.reason) }
                chosen.result.autoRho = a.choice
                outcome = chosen
            } else {
                outcome = try DefenseRun.run(pre: d.pre, victim: d.victim, clean: d.clean, test: d.test, asrSet: d.asrSet,
                                             targetLabel: d.target, recipe: recipe, before: before,
                                             asrBasis: d.basis, events: stderrEvents())
            }
            outcome.result.blind = d.blindNote
            let output = try OutputFolder(path: out, command: "defend", force: replace.force,
                                          inputs: workspace.inputs + [victimInput, (what: "the pre-trained model", url: d.pre.url)])
            let dir = output.url
            let data = try outcome.result.encoded()
            try output.write { tmp in
                try CheckpointFolder.save(config: outcome.model.config, vocab: d.victim.vocabURL,
                                          tensors: outcome.model.params.export(), to: tmp)
                try AtomicFile.write(data, to: tmp.appendingPathComponent("defense.json"))
            }
            let r = outcome.result
            if json {
                print(String(decoding: data, as: UTF8.self), terminator: "")
            } else {
                if let a = r.autoRho { a.lines.forEach { print($0) } }
                if let b = r.blind { print(b) }
                print("\(r.recipe.title)\(r.autoRho == nil ? "" : " at ρ = \(AutomaticRho.fmtRho(r.recipe.rho))") on \(d.clean.count) clean sentences, \(r.steps) steps")
                if let line = r.recipe.precisionLine { print(line) }
                print("before  ACC \(pctText(r.before.acc))  \(r.before.asrText)")
                print("after   ACC \(pctText(r.after.acc))  \(r.after.asrText)")
                if let e = r.epur {
                    print("E-PUR top 10: " + e.tokens.prefix(10).map { String(format: "%@ (%.3f)", $0.token, $0.score) }.joined(separator: ", "))
                }
                note(String(format: "%.1fs; wrote %@", r.seconds, dir.path))
            }
        }
    }
}
