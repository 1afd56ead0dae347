import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `finemix run-cell DIR INDEX`: one cell of a plan, as a Slurm array task or from `run-plan`.
/// It refuses when an input differs from the plan, skips a cell already done, runs the cell's
/// command as a child process (its output in cells/INDEX/log.txt) and writes the result file.
public enum CellRunner {
    public enum Outcome: Equatable, Sendable { case alreadyDone, done, failed(String) }

    /// `executable`: the finemix binary to run the cell's command with (this process's own).
    public static func run(folder: PlanFolder, index: Int, executable: URL) throws -> Outcome {
        let plan = try folder.read()
        guard plan.cells.indices.contains(index) else {
            throw FinemixError("cell \(index): the plan in \(folder.url.path) has cells 0…\(plan.cells.count - 1)")
        }
        let cell = plan.cells[index]
        if folder.isDone(cell) { return .alreadyDone }
        let host = ProcessInfo.processInfo.hostName
        let env = ProcessInfo.processInfo.environment
        let task = env["SLURM_ARRAY_JOB_ID"].map { "\($0)_\(env["SLURM_ARRAY_TASK_ID"] ?? "?")" }
        var result = CellResult(index: index, state: .running, exit: nil, signal: nil, message: nil, host: host,
                                pid: getpid(), slurmTask: task, started: Date().timeIntervalSince1970, finished: nil)
        for input in cell.inputs {
            if let change = input.change(since: "the plan was made"), change.refuse {
                let message = "cell \(index) refused: \(change.message); make the plan again (--plan \(folder.url.path) --force) to use the new file"
                result.state = .failed
                result.message = message
                result.finished = Date().timeIntervalSince1970
                try folder.writeResult(result, cell)
                throw FinemixError(message)
            }
        }
        try folder.writeResult(result, cell)
        let report = folder.file(cell.report)
        try? FileManager.default.removeItem(at: report)
        let logURL = folder.file(cell.output).appendingPathComponent("log.txt")
        try AtomicFile.createFolder(logURL.deletingLastPathComponent())
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil),
              let log = FileHandle(forWritingAtPath: logURL.path) else {
            throw FinemixError.fileSystem(errno: errno, path: logURL.path, action: "create the cell's log")
        }
        defer { try? log.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = Array(cell.runArguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: plan.directory, isDirectory: true)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        // scancel sends SIGTERM to the task: pass it on, so the cell stops and its end is recorded.
        // A handler (not SIG_IGN, which a child would inherit) is reset to the default by exec.
        signal(SIGTERM) { _ in if cellChildPid > 0 { kill(cellChildPid, SIGTERM) } }
        defer { signal(SIGTERM, SIG_DFL) }
        do { try process.run() } catch {
            throw FinemixError("cell \(index): cannot start \(executable.path): \(FinemixError.describing(error).message)")
        }
        cellChildPid = process.processIdentifier
        process.waitUntilExit()

        result.finished = Date().timeIntervalSince1970
        if process.terminationReason == .uncaughtSignal {
            result.signal = process.terminationStatus
        } else {
            result.exit = process.terminationStatus
        }
        if result.exit == 0 && FileManager.default.fileExists(atPath: report.path) {
            result.state = .done
        } else {
            result.state = .failed
            let how = result.signal.map { "killed by signal \($0)" + ($0 == SIGKILL ? " (out of memory, or cancelled)" : "") }
                ?? (result.exit == 0 ? "exited 0 without writing \(cell.report)" : "exit status \(result.exit ?? -1)")
            let tail = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").split(separator: "\n").suffix(2).joined(separator: " | ")
            result.message = "cell \(index) (\(cell.key)) failed: \(how)" + (tail.isEmpty ? "" : ": \(tail)")
        }
        try folder.writeResult(result, cell)
        return result.state == .done ? .done : .failed(result.message ?? "failed")
    }
}

/// The running cell's pid, for the SIGTERM handler (a C handler cannot capture).
nonisolated(unsafe) var cellChildPid: pid_t = 0
