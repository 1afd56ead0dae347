import Foundation

/// What `run-cell` leaves in `results/INDEX.json`: written "running" when the cell starts and
/// replaced (atomically) by "done" or "failed" with the exit status when it ends. A task killed
/// outright (SIGKILL, a lost node) leaves "running": `finemix status` then asks Slurm, or the
/// process table when the cell ran on this host.
public struct CellResult: Codable, Equatable, Sendable {
    public enum State: String, Codable, Sendable { case running, done, failed }

    public var index: Int
    public var state: State
    /// The command's exit status; nil while running or when a signal ended it.
    public var exit: Int32?
    public var signal: Int32?
    /// Why it failed, in one sentence (the refusal, or the last lines the command printed).
    public var message: String?
    public var host: String
    /// The run-cell process.
    public var pid: Int32
    /// "JOB_TASK" under Slurm, nil elsewhere.
    public var slurmTask: String?
    public var started: Double
    public var finished: Double?

    enum CodingKeys: String, CodingKey {
        case index, state, exit, signal, message, host, pid, started, finished
        case slurmTask = "slurm_task"
    }

    public var seconds: Double? { finished.map { $0 - started } }
}
