import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where each cell of a plan stands: from the result files alone, and from Slurm (`squeue` for
/// tasks queued or running, `sacct` for how finished ones ended) when the plan's jobs are known
/// and those commands answer.
public struct CellStatus: Equatable, Sendable {
    public enum State: String, Sendable, CaseIterable { case done, running, failed, pending }
    public var index: Int
    public var key: String
    public var state: State
    /// Why, for anything not done: the failure's sentence, "queued as 12_3", …
    public var detail: String

    /// "  3\tfinetune seed 6\tfailed\tWHY": status's and collect's line for a cell not done.
    public var line: String { "  \(index)\t\(key)\t\(state.rawValue)\t\(detail)" }
}

/// What Slurm says about the plan's array tasks, keyed by array index.
public struct SlurmView: Sendable {
    /// squeue: tasks still in the queue ("PENDING", "RUNNING", …).
    public var queued: [Int: (task: String, state: String)] = [:]
    /// sacct: how finished tasks ended ("COMPLETED", "CANCELLED", "OUT_OF_MEMORY", …); empty
    /// where accounting is off.
    public var accounted: [Int: (task: String, state: String)] = [:]
    /// Whether squeue answered (false: no Slurm here, the files alone decide).
    public var available = false

    public init() {}

    /// Asks squeue and sacct about `jobs`; nothing is fatal (no Slurm: an empty view).
    public static func query(jobs: [String]) -> SlurmView {
        var v = SlurmView()
        guard !jobs.isEmpty else { return v }
        let list = jobs.joined(separator: ",")
        // The whole queue, filtered here: squeue -j fails outright once one of the ids has aged out.
        if let r = try? Subprocess.run("squeue", ["-h", "-r", "-o", "%i|%T"]), r.status == 0 {
            v.available = true
            let ids = Set(jobs)
            for (i, task, state) in parse(r.output) where ids.contains(String(task.prefix { $0 != "_" })) { v.queued[i] = (task, state) }
        }
        if let r = try? Subprocess.run("sacct", ["-n", "-P", "-X", "-j", list, "-o", "JobID,State"]), r.status == 0 {
            // A later job's line for an index wins: jobs are listed in submission order.
            for (i, task, state) in parse(r.output) { v.accounted[i] = (task, state) }
        }
        return v
    }

    /// "12_3|RUNNING" lines; ranges ("12_[4-6]") are skipped (squeue -r expands them).
    static func parse(_ text: String) -> [(Int, String, String)] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 2, let us = f[0].lastIndex(of: "_"), let i = Int(f[0][f[0].index(after: us)...]) else { return nil }
            return (i, f[0], f[1].split(separator: " ").first.map(String.init) ?? f[1])
        }
    }
}

public enum PlanStatus {
    public static func cells(_ plan: Plan, folder: PlanFolder, slurm: SlurmView) -> [CellStatus] {
        let host = ProcessInfo.processInfo.hostName
        let submitted = !folder.jobs().isEmpty
        return plan.cells.map { (cell: PlanCell) -> CellStatus in
            func status(_ s: CellStatus.State, _ d: String) -> CellStatus { CellStatus(index: cell.index, key: cell.key, state: s, detail: d) }
            let r = folder.result(cell)
            if folder.isDone(cell) { return status(.done, r?.seconds.map { String(format: "%.0f s", $0) } ?? "") }
            if let q = slurm.queued[cell.index] {
                return status(q.state == "PENDING" ? .pending : .running, "Slurm task \(q.task) \(q.state.lowercased())")
            }
            switch r?.state {
            case .failed?:
                return status(.failed, r?.message ?? "failed")
            case .running?:
                let run = r!
                let ended = slurm.accounted[cell.index].map { " (sacct: \($0.task) \($0.state))" } ?? ""
                if let task = run.slurmTask, slurm.available {
                    return status(.failed, "its Slurm task \(task) ended without a result\(ended): cancelled, out of memory, out of time or a lost node")
                }
                if run.host == host && kill(run.pid, 0) != 0 && errno == ESRCH {
                    return status(.failed, "its run-cell process \(run.pid) on \(host) is gone without a result")
                }
                return status(.running, run.slurmTask.map { "Slurm task \($0) on \(run.host)" } ?? "pid \(run.pid) on \(run.host)")
            case .done?, nil:
                if let a = slurm.accounted[cell.index], a.state != "COMPLETED" {
                    return status(.failed, "Slurm task \(a.task) \(a.state.lowercased()) before it wrote a result")
                }
                if submitted && slurm.available {
                    return status(.failed, "submitted, but its Slurm task left the queue without a result (cancelled before it started?)")
                }
                return status(.pending, submitted ? "submitted; no result yet" : "not run yet")
            }
        }
    }

    /// "3 done, 1 running, 1 failed, 2 pending".
    public static func summary(_ cells: [CellStatus]) -> String {
        CellStatus.State.allCases.map { s in "\(cells.filter { $0.state == s }.count) \(s.rawValue)" }.joined(separator: ", ")
    }
}
