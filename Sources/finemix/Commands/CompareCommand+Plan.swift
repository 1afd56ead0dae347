import Defense
import Foundation

/// compare as a plan: one cell per (row, seed), each a `compare --only ROW --seed S --seeds 1`
/// whose JSON report `collect` merges back into the table the local command prints.
extension CompareCommand {
    /// The options a cell sets itself (or that only the collected report writes).
    static let cellOwned: Set<String> = ["--only", "--seed", "--seeds", "--json", "--markdown"]

    var seedList: [UInt64] { (0..<seeds).map { budget.seed + UInt64($0) } }

    func writePlan(_ rows: [(DefenseRecipe.Method, Bool)]) throws {
        let command = Array(CommandLine.arguments.dropFirst())
        let local = removingOptions(command, valued: PlanOptions.valued, flags: PlanOptions.flags)
        let base = PlanCell.pinningRecipe(["finemix"] + removingOptions(local, valued: Self.cellOwned), batches: try budget.batchOrder(),
                                          shards: budget.shards)
        let basis = try PlanBasis(inputs, workspace: workspace, batch: budget.batch, shards: budget.shards, plan: planOptions)
        try writePlanFolder(planOptions, kind: "compare", command: local, basis: basis, workspace: workspace, cells:
            rows.flatMap { (m, epur) in
                seedList.map { s in
                    (key: "\(Self.key(m, epur)) seed \(s)", arguments: base + ["--only", Self.key(m, epur), "--seed", "\(s)", "--seeds", "1"], inputs: nil)
                }
            })
    }

    /// The comparison from a plan's cell reports: the same report, files and table as the local
    /// run. Cells not done are left out (their rows show fewer runs).
    func collect(_ plan: Plan, folder: PlanFolder, done: Set<Int>) throws {
        let rows = try selectedRows()
        var reports: [Int: CompareReport] = [:]
        for i in done.sorted() { reports[i] = try readCellReport(CompareReport.self, plan.cells[i], folder: folder) }
        guard let first = reports.keys.min().flatMap({ reports[$0] }) else {
            throw FinemixError("\(folder.url.path): no cell is done, so there is nothing to collect")
        }
        var report = first
        report.seeds = seedList
        report.command = (["finemix"] + plan.command).joined(separator: " ")
        report.seconds = reports.values.reduce(0) { $0 + $1.seconds }
        report.rows = []
        var index = 0
        for (m, epur) in rows {
            var row = CompareRow(key: Self.key(m, epur), title: "", runs: [])
            for _ in seedList {
                if let r = reports[index], let cellRow = r.rows.first(where: { $0.key == row.key }) {
                    row.title = cellRow.title
                    row.runs += cellRow.runs
                }
                index += 1
            }
            if row.title.isEmpty { row.title = m.title + (epur ? " + E-PUR" : "") }
            report.rows.append(row)
        }
        try finish(report)
    }
}

/// A done cell's JSON report, decoded as the command's own report type.
func readCellReport<T: Decodable>(_ type: T.Type, _ cell: PlanCell, folder: PlanFolder) throws -> T {
    let url = folder.file(cell.report)
    do { return try JSONDecoder().decode(T.self, from: try Data(contentsOf: url)) } catch {
        throw FinemixError("cell \(cell.index) (\(cell.key)): its report \(url.path) cannot be read (\(FinemixError.describing(error).message)); run the cell again")
    }
}
