import Foundation

/// A plan and where its cells stand now: its files, the jobs recorded for it and what Slurm says
/// about them. What `status`, `submit` and `collect` (and the workbench) look at.
public struct PlanSnapshot: Sendable {
    public let plan: Plan
    /// The Slurm job ids recorded in jobs.tsv, in submission order.
    public let jobs: [String]
    public let slurm: SlurmView
    public let cells: [CellStatus]

    public init(_ folder: PlanFolder) throws {
        plan = try folder.read()
        jobs = folder.jobs().map(\.id)
        slurm = SlurmView.query(jobs: jobs)
        cells = PlanStatus.cells(plan, folder: folder, slurm: slurm)
    }

    /// "3 done, 1 running, 1 failed, 2 pending".
    public var summary: String { PlanStatus.summary(cells) }

    /// The cells to hand to Slurm: failed, or pending and not queued (queued or running cells
    /// stay with the job that has them).
    public var toSubmit: [Int] {
        cells.filter { $0.state == .failed || ($0.state == .pending && !$0.detail.hasPrefix("Slurm task")) }.map(\.index)
    }
}

/// `finemix submit`: the cells not yet done as one Slurm array job, recorded in jobs.tsv.
public enum PlanSubmit {
    public struct Submitted: Equatable, Sendable {
        public var job: String
        public var array: String
        public var cells: Int
    }

    /// Submits the cells `snapshot.toSubmit` names; nil when there are none. `announce` receives
    /// the sbatch command before it runs (so a failing sbatch still shows what was tried).
    public static func submit(_ folder: PlanFolder, _ snapshot: PlanSnapshot, announce: (String) -> Void = { _ in }) throws -> Submitted? {
        let todo = snapshot.toSubmit
        guard !todo.isEmpty else { return nil }
        let array = SlurmScript.arrayList(todo)
        let args = ["--parsable", "--array=\(array)", folder.file(SlurmScript.fileName).path]
        announce((["sbatch"] + args).map(shellQuoted).joined(separator: " "))
        let r: Subprocess.Result
        do { r = try Subprocess.run("sbatch", args) } catch {
            throw FinemixError("sbatch cannot be started: submit needs Slurm's commands on this machine (finemix run-plan \(folder.url.path) runs the cells here)")
        }
        guard r.status == 0 else {
            let why = r.status == 127 ? "sbatch is not installed here (finemix run-plan runs the cells without Slurm)" : r.lastLines
            throw FinemixError("sbatch failed (status \(r.status)): \(why)")
        }
        let id = r.output.split(separator: "\n").last.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw FinemixError("sbatch printed no job id: \(r.lastLines)") }
        try folder.recordJob(.init(id: id, array: array, submitted: Date().timeIntervalSince1970))
        return Submitted(job: id, array: array, cells: todo.count)
    }
}
