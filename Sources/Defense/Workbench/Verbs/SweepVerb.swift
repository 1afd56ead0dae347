import Foundation

/// `sweep ...`: ACC and ASR against ρ, through `finemix sweep`'s pipeline (RhoSweep).
struct SweepVerb: Verb {
    static let verb = "sweep"
    static let usage = "sweep [rho=0:1:0.1] [finetune=on|off] [select=random] [epochs=10] [lr=5e-5] [batch=16] [seed=1] [plan=DIR [submit=on]]"
    static let summary = "ACC and ASR against rho, mixing only and Fine-mixing (finetune=off: mixing only), as `finemix sweep` runs them; the points go into the Mixer's landscape. plan=DIR writes `finemix sweep --plan`'s cells instead (submit=on: to Slurm) and their points arrive as the cells finish"
    static let options = ["rho", "finetune", "select", "epochs", "lr", "batch", "seed", "plan", "submit"]
    static let arguments = 0...0

    var rhos: [Double]
    var finetune: Bool
    var budget: FineTuneBudget
    var select: MixSpec.Select
    /// Write the sweep as a plan folder here instead of running it; submit= hands it to sbatch.
    var plan: String?
    var submit: Bool

    init(_ c: Command) throws {
        rhos = try parseRange(c.options["rho"] ?? "0:1:0.1", name: "rho")
        guard rhos.allSatisfy({ (0...1).contains($0) }) else { throw FinemixError("sweep: every ρ must lie in [0, 1]") }
        // Fine-mixing unless told otherwise, like `finemix sweep`.
        finetune = try c.flag("finetune", default: true)
        // The same budget, selection and seed options as `finetune` and `mix`, with their defaults.
        budget = try FineTuneBudget(c)
        select = try MixVerb.selection(c)
        plan = c.options["plan"]
        if let plan, plan.isEmpty { throw FinemixError("sweep: plan= needs a folder") }
        // submit= without plan= is refused when the sweep runs: options are also checked one by one.
        submit = try c.flag("submit", default: false)
    }

    /// Mixing only and (unless finetune=off) Fine-mixing on the session's data; then the
    /// automatic rule of docs/method.md.
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        guard let victim = s.victimFolder else { throw FinemixError("sweep: load or plant a victim first") }
        let d = try s.requireData()
        if submit && plan == nil { throw FinemixError("sweep: submit=on sends a plan to Slurm: add plan=DIR") }
        if let plan { return try planSweep(on: s, pre: pre, victim: victim, data: d, plan: plan) }
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: budget.seed, maxLength: d.maxLength)
        let asr = try s.asrSet()
        let data = RhoSweep.Data(clean: d.clean, heldOut: d.heldOut, test: d.split.test, asrSet: asr ?? [],
                                 basis: asr == nil ? nil : s.asrBasis)
        s.sweep = []
        let result = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                      options: RhoSweep.Options(rhos: rhos, fineMixing: finetune, recipe: recipe),
                                      events: events, cancel: cancel) { s.sweep.append($0.point) }
        s.landscape.use(inputs: s.landscapeInputsID)
        s.landscape.record(result.points, budget: LandscapeBudget(recipe), select: select, seed: budget.seed, cleanSize: d.clean.count,
                           nTest: d.split.test.count)
        let chosen = finetune ? RhoSweep.automaticRho(result.points) : nil
        var results = ["steps": Double(result.steps)]
        if let chosen { results["auto_rho"] = chosen }
        return Session.Outcome(message: "sweep over \(rhos.count) values of ρ (\(finetune ? "mixing only and Fine-mixing, \(result.steps) steps each" : "mixing only"))"
                               + (chosen.map { "; automatic rule picks ρ = \(fmt($0))" } ?? ""),
                               results: results)
    }

    /// `sweep … plan=DIR [submit=on]`: the sweep written down as a plan — the cells `finemix sweep
    /// --plan` writes, for the session's pre-trained model, victim and data — instead of run here;
    /// submit=on hands it to sbatch. `planWatch` then brings each finished cell's point into the
    /// landscape (the workbench polls it; `report` does too).
    private func planSweep(on s: Session, pre: CheckpointFolder, victim: CheckpointFolder, data d: SessionData,
                           plan path: String) throws -> Session.Outcome {
        // The cells are `finemix sweep` commands: they read the data split attack.json records.
        guard FileManager.default.fileExists(atPath: victim.url.appendingPathComponent(AttackRecord.fileName).path) else {
            throw FinemixError("sweep plan=\(path): \(victim.url.path) has no attack.json, and a plan's cells read their data split from it; sweep here (without plan=) instead")
        }
        let spec = try AttackRecord.read(folder: victim.url).split.spec
        let ours = d.split.spec
        guard ours.dataset == spec.dataset, ours.seed == spec.seed, ours.trainSize == spec.trainSize,
              ours.cleanPoolSize == spec.cleanPoolSize, ours.testSize == spec.testSize else {
            throw FinemixError("sweep plan=\(path): the session's data (\(ours.dataset), seed \(ours.seed)) is not the split \(victim.url.path)/attack.json records (\(spec.dataset), seed \(spec.seed)), which the plan's cells would read; load the victim again or sweep here")
        }
        var command = ["sweep", "--victim", victim.url.path, "--pre", pre.url.path, "--clean-size", "\(d.clean.count)",
                       "--held-out", "\(d.heldOut.count)", "--max-length", "\(d.maxLength)", "--select", select.rawValue,
                       "--epochs", "\(budget.epochs)", "--lr", "\(budget.lr)", "--batch", "\(budget.batch)",
                       "--seed", "\(budget.seed)", "--batches", BatchOrder.default.rawValue,
                       "--shards", "\(FineTuneRecipe.defaultShards)"]
        if !finetune { command.append("--mix-only") }
        if let p = s.poison { command += ["--trigger", p.trigger.description, "--target", "\(p.targetLabel)"] }
        let local = command + ["--rho", rhos.map { "\($0)" }.joined(separator: ",")]

        let folder: PlanFolder
        let existing = try? Plan.read(folder: URL(fileURLWithPath: path, isDirectory: true))
        if let existing, existing.kind == "sweep", existing.command == local {
            // The same sweep's plan (a resumed session): watch it, do not write it again.
            folder = PlanFolder(URL(fileURLWithPath: path, isDirectory: true))
        } else {
            let inputs = try PlanInputs.fingerprints(victim: victim.url, pre: pre.url, clean: nil)
            let resources = try PlanInputs.resources(victim.url, batch: budget.batch, tokens: d.maxLength)
            // "\(r)" reads back as the same Double: a cell sweeps exactly this ρ.
            let cells = rhos.map { r in
                PlanCellSpec(key: "rho \(AutomaticRho.fmtRho(r))", arguments: ["finemix"] + command + ["--rho", "\(r)"], inputs: inputs)
            }
            folder = try PlanFolder.write(to: path, kind: "sweep", command: local, directory: FileManager.default.currentDirectoryPath,
                                          executable: s.finemixExecutable.path, resources: resources, cells: cells,
                                          force: false, protecting: s.protectedInputs).0
        }
        var sent = ""
        if submit {
            let now = try PlanSnapshot(folder)
            try folder.checkInputs(now.plan)
            sent = try PlanSubmit.submit(folder, now).map { "; submitted as Slurm job \($0.job) (array \($0.array))" } ?? "; nothing to submit"
        }
        s.landscape.use(inputs: s.landscapeInputsID)
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: budget.seed, maxLength: d.maxLength)
        let watch = SweepPlanWatch(folder: folder, landscape: s.landscape, inputs: s.landscapeInputsID, select: select,
                                   seed: budget.seed, budget: LandscapeBudget(recipe), cleanSize: d.clean.count)
        watch.poll()
        s.planWatch = watch
        s.sweep = []
        let (done, total) = watch.progress
        return Session.Outcome(message: "sweep plan in \(folder.url.path): \(total) cells, \(done) done\(sent); their points arrive in the landscape as the cells finish"
                       + (submit ? "" : " (finemix submit or run-plan \(folder.url.path) runs them)"),
                       results: ["cells": Double(total), "done": Double(done)])
    }
}
