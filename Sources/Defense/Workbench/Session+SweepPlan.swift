import Foundation

/// `sweep … plan=DIR [submit=on]`: the sweep written down as a plan — the cells `finemix sweep
/// --plan` writes, for the session's pre-trained model, victim and data — instead of run here;
/// submit=on hands it to sbatch. `planWatch` then brings each finished cell's point into the
/// landscape (the workbench polls it; `report` does too).
extension Session {
    func planSweep(_ a: SweepVerb, plan path: String, submit: Bool) throws -> Outcome {
        let pre = try requirePre()
        guard let victim = victimFolder else { throw FinemixError("sweep: load or plant a victim first") }
        let d = try requireData()
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
                       "--held-out", "\(d.heldOut.count)", "--max-length", "\(d.maxLength)", "--select", a.select.rawValue,
                       "--epochs", "\(a.budget.epochs)", "--lr", "\(a.budget.lr)", "--batch", "\(a.budget.batch)",
                       "--seed", "\(a.budget.seed)", "--batches", BatchOrder.default.rawValue]
        if !a.finetune { command.append("--mix-only") }
        if let p = poison { command += ["--trigger", p.trigger.description, "--target", "\(p.targetLabel)"] }
        let local = command + ["--rho", a.rhos.map { "\($0)" }.joined(separator: ",")]

        let folder: PlanFolder
        let existing = try? Plan.read(folder: URL(fileURLWithPath: path, isDirectory: true))
        if let existing, existing.kind == "sweep", existing.command == local {
            // The same sweep's plan (a resumed session): watch it, do not write it again.
            folder = PlanFolder(URL(fileURLWithPath: path, isDirectory: true))
        } else {
            let inputs = try PlanInputs.fingerprints(victim: victim.url, pre: pre.url, clean: nil)
            let resources = try PlanInputs.resources(victim.url, batch: a.budget.batch, tokens: d.maxLength)
            // "\(r)" reads back as the same Double: a cell sweeps exactly this ρ.
            let cells = a.rhos.map { r in
                PlanCellSpec(key: "rho \(String(format: "%g", r))", arguments: ["finemix"] + command + ["--rho", "\(r)"], inputs: inputs)
            }
            folder = try PlanFolder.write(to: path, kind: "sweep", command: local, directory: FileManager.default.currentDirectoryPath,
                                          executable: finemixExecutable.path, resources: resources, cells: cells,
                                          force: false, protecting: protectedInputs).0
        }
        var sent = ""
        if submit {
            let now = try PlanSnapshot(folder)
            try folder.checkInputs(now.plan)
            sent = try PlanSubmit.submit(folder, now).map { "; submitted as Slurm job \($0.job) (array \($0.array))" } ?? "; nothing to submit"
        }
        landscape.use(inputs: landscapeInputsID)
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: a.select, cleanSize: d.clean.count, epochs: a.budget.epochs,
                                   lr: a.budget.lr, batch: a.budget.batch, seed: a.budget.seed, maxLength: d.maxLength)
        let watch = SweepPlanWatch(folder: folder, landscape: landscape, inputs: landscapeInputsID, select: a.select,
                                   seed: a.budget.seed, budget: LandscapeBudget(recipe), cleanSize: d.clean.count)
        watch.poll()
        planWatch = watch
        sweep = []
        let (done, total) = watch.progress
        return Outcome(message: "sweep plan in \(folder.url.path): \(total) cells, \(done) done\(sent); their points arrive in the landscape as the cells finish"
                       + (submit ? "" : " (finemix submit or run-plan \(folder.url.path) runs them)"),
                       results: ["cells": Double(total), "done": Double(done)])
    }
}
