import ArgumentParser
import Defense
import Dispatch
import Foundation

/// The plan folder argument every cluster command takes.
struct PlanFolderArgument: ParsableArguments {
    @Argument(help: "The plan folder (written by compare, sweep or hunt --plan).")
    var folder: String

    var planFolder: PlanFolder { PlanFolder(URL(fileURLWithPath: (folder as NSString).expandingTildeInPath, isDirectory: true)) }
}

/// `finemix run-cell DIR INDEX`: what each Slurm array task runs.
struct RunCellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-cell",
        abstract: "Run one cell of a plan (what each Slurm array task runs); a cell already done is skipped.")

    @OptionGroup var dir: PlanFolderArgument

    @Argument(help: "The cell's index (the array task id).")
    var index: Int

    func run() throws {
        try failing {
            switch try CellRunner.run(folder: dir.planFolder, index: index, executable: finemixExecutable()) {
            case .alreadyDone: note("cell \(index) is already done; nothing to run")
            case .done: note("cell \(index) done")
            case .failed(let message): throw FinemixError(message)
            }
        }
    }
}

/// `finemix run-plan DIR [--jobs N]`: the plan's cells here, without a cluster.
struct RunPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-plan",
        abstract: "Run a plan's cells on this machine, N at a time; cells already done are skipped.")

    @OptionGroup var dir: PlanFolderArgument

    @Option(name: .long, help: "Cells run at the same time.")
    var jobs: Int = 1

    func run() throws {
        try failing {
            guard (1...256).contains(jobs) else { throw FinemixError("--jobs must be in 1...256, found \(jobs)") }
            let folder = dir.planFolder
            let plan = try folder.read()
            try folder.checkInputs(plan)
            let todo = plan.cells.filter { !folder.isDone($0) }
            note("run-plan: \(todo.count) of \(plan.cells.count) cells to run, \(jobs) at a time")
            let exe = finemixExecutable()
            let failed = FailedCells()
            let slots = DispatchSemaphore(value: jobs)
            let group = DispatchGroup()
            for cell in todo {
                slots.wait()
                group.enter()
                let p = Process()
                p.executableURL = exe
                p.arguments = ["run-cell", folder.url.path, "\(cell.index)"]
                p.standardInput = FileHandle.nullDevice
                p.terminationHandler = { p in
                    if p.terminationStatus != 0 { failed.add(cell.index) }
                    slots.signal()
                    group.leave()
                }
                do { try p.run() } catch {
                    failed.add(cell.index); slots.signal(); group.leave()
                }
            }
            group.wait()
            let bad = failed.all
            if !bad.isEmpty {
                throw FinemixError("\(bad.count) of \(todo.count) cells failed (\(bad.map(String.init).joined(separator: ", "))); finemix status \(folder.url.path) says why")
            }
            note("run-plan: every cell is done; finemix collect \(folder.url.path) builds the report")
        }
    }
}

final class FailedCells: @unchecked Sendable {
    private var cells: [Int] = []
    private let lock = NSLock()
    func add(_ i: Int) { lock.lock(); cells.append(i); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return cells.sorted() }
}

/// `finemix submit DIR`: the cells not yet done as a Slurm array job.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a plan's cells not yet done to Slurm as one array job (sbatch), and record the job id.")

    @OptionGroup var dir: PlanFolderArgument

    func run() throws {
        try failing {
            let folder = dir.planFolder
            let now = try PlanSnapshot(folder)
            try folder.checkInputs(now.plan)
            guard let s = try PlanSubmit.submit(folder, now, announce: { print($0) }) else {
                print("nothing to submit: \(now.summary)")
                return
            }
            print("submitted job \(s.job): \(s.cells) of \(now.plan.cells.count) cells (array \(s.array)); finemix status \(shellQuoted(folder.url.path)) follows it")
        }
    }
}

/// `finemix status DIR`: done / running / failed / pending, from the files and Slurm.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count a plan's cells done, running, failed and pending (from its result files, and from squeue/sacct when it was submitted).")

    @OptionGroup var dir: PlanFolderArgument

    func run() throws {
        try failing {
            let now = try PlanSnapshot(dir.planFolder)
            print("\(now.plan.kind) plan, \(now.plan.cells.count) cells: \(now.summary)")
            if !now.jobs.isEmpty {
                print("Slurm jobs: \(now.jobs.joined(separator: ", "))" + (now.slurm.available ? "" : " (squeue does not answer here: from the files only)"))
            }
            for c in now.cells where c.state != .done {
                print(c.line)
            }
        }
    }
}

/// `finemix collect DIR [--partial]`: the local command's table and files from the cells' reports.
struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Build the table, Markdown, JSON and CSV the local command would have printed, from a plan's finished cells.",
        discussion: """
            Files named by the planned command's --markdown, --json or --csv are written as the local \
            command writes them (relative paths mean the folder the plan was made in). Cells not \
            done are listed on stderr; without --partial any such cell is an error and nothing is written.
            """)

    @OptionGroup var dir: PlanFolderArgument

    @Flag(name: .long, help: "Collect the cells that are done and leave the others out.")
    var partial = false

    func run() throws {
        try failing {
            let folder = dir.planFolder
            let plan = try folder.read()
            let done = Set(plan.cells.filter { folder.isDone($0) }.map(\.index))
            if done.count < plan.cells.count {
                let missing = try PlanSnapshot(folder).cells.filter { $0.state != .done }
                note("collect: \(missing.count) of \(plan.cells.count) cells not done:")
                for c in missing { note(c.line) }
                guard partial else {
                    throw FinemixError("\(missing.count) of \(plan.cells.count) cells are not done; finemix submit \(folder.url.path) runs them again, or collect --partial reports the rest")
                }
            }
            // Relative output paths in the planned command mean the folder it was given in.
            guard FileManager.default.changeCurrentDirectoryPath(plan.directory) else {
                throw FinemixError("the plan was made in \(plan.directory), which is not a folder here; its output paths are relative to it")
            }
            let command: ParsableCommand
            do { command = try Finemix.parseAsRoot(plan.command) } catch {
                throw FinemixError("\(folder.file(Plan.fileName).path): its command no longer parses (\(Finemix.message(for: error))); write the plan again")
            }
            switch command {
            case let c as CompareCommand: try c.collect(plan, folder: folder, done: done)
            case let c as SweepCommand: try c.collect(plan, folder: folder, done: done)
            case let c as HuntCommand: try c.collect(plan, folder: folder, done: done)
            default: throw FinemixError("\(folder.file(Plan.fileName).path): collect knows compare, sweep and hunt plans, not \(plan.kind)")
            }
        }
    }
}
