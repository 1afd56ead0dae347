import Defense
import Foundation

/// sweep as a plan: one cell per ρ, each a `sweep --rho R` (mixing and Fine-mixing at that ρ, and
/// the held-out ACC) whose JSON report `collect` merges into the local sweep's table and files.
extension SweepCommand {
    static let cellOwned: Set<String> = ["--rho", "--json", "--csv"]

    func writePlan(_ rhos: [Double]) throws {
        let command = Array(CommandLine.arguments.dropFirst())
        let local = removingOptions(command, valued: PlanOptions.valued, flags: PlanOptions.flags)
        let base = PlanCell.pinningRecipe(["finemix"] + removingOptions(local, valued: Self.cellOwned), batches: try budget.batchOrder(),
                                          shards: budget.shards)
        let basis = try PlanBasis(inputs, workspace: workspace, batch: budget.batch, shards: budget.shards, plan: planOptions)
        try writePlanFolder(planOptions, kind: "sweep", command: local, basis: basis, workspace: workspace, cells:
            // "\(r)" is Swift's shortest text that reads back as the same Double, so a cell
            // sweeps exactly the ρ the local range gives.
            rhos.map { r in (key: "rho \(AutomaticRho.fmtRho(r))", arguments: base + ["--rho", "\(r)"], inputs: nil) })
    }

    func collect(_ plan: Plan, folder: PlanFolder, done: Set<Int>) throws {
        var points: [Point] = []
        var first: SweepReport?
        for i in done.sorted() {
            let r = try readCellReport(SweepReport.self, plan.cells[i], folder: folder)
            if first == nil { first = r }
            points += r.points
        }
        guard let first else { throw FinemixError("\(folder.url.path): no cell is done, so there is nothing to collect") }
        let basis = Basis(victim: first.victim, nClean: first.nClean, nHeldOut: first.nHeldOut,
                          command: (["finemix"] + plan.command).joined(separator: " "), asrBasis: first.asrBasis,
                          precision: first.precision)
        try finish(points, before: first.before, basis: basis)
    }
}
