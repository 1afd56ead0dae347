import Defense
import Foundation

/// hunt as a plan: one cell per victim, each a `hunt --victim V --json-file REPORT` with the
/// command's other options; `collect` puts the reports back into the report or table the local
/// hunt prints.
extension HuntCommand {
    /// The options a cell sets itself.
    static let cellOwned: Set<String> = ["--victim", "--victims", "--json-file"]

    func writePlan(_ list: [String]) throws {
        let command = Array(CommandLine.arguments.dropFirst())
        let local = removingOptions(command, valued: PlanOptions.valued, flags: PlanOptions.flags)
        let base = ["finemix"] + removingOptions(local, valued: Self.cellOwned, flags: ["--json"])
        let preURL = try pre == "minilm" ? workspace.cache.minilm(progress: note) : URL(fileURLWithPath: pre, isDirectory: true)
        var inputs: [[InputFingerprint]] = []
        var largest: PlanResources?
        for v in list {
            let url = URL(fileURLWithPath: v, isDirectory: true)
            inputs.append(try PlanBasis.fingerprints(victim: url, pre: preURL, clean: clean))
            // The hunt trains only its small control (batch 16): a defence's figure on the largest victim is an upper bound.
            let r = try PlanBasis.resources(url, batch: 16, tokens: maxLength, plan: planOptions)
            if largest == nil || r.memoryMB > largest!.memoryMB { largest = r }
        }
        let basis = PlanBasis(inputs: [], resources: largest!)
        try writePlanFolder(planOptions, kind: "hunt", command: local, basis: basis, workspace: workspace,
                            reportOption: "--json-file", cells:
            list.enumerated().map { i, v in (key: v, arguments: base + ["--victim", v], inputs: Optional(inputs[i])) })
    }

    /// The hunt from a plan's cell reports: the same report (one victim) or table (several) as the
    /// local hunt; victims whose cell is not done are left out.
    func collect(_ plan: Plan, folder: PlanFolder, done: Set<Int>) throws {
        var entries: [HuntSummary.Entry] = []
        for i in done.sorted() {
            entries.append(HuntSummary.Entry(victim: plan.cells[i].key,
                                             report: try readCellReport(TriggerHunt.Report.self, plan.cells[i], folder: folder)))
        }
        guard !entries.isEmpty else { throw FinemixError("\(folder.url.path): no cell is done, so there is nothing to collect") }
        try finish(entries)
    }
}
