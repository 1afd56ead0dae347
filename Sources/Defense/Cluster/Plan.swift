import Foundation

/// A grid of independent defences written down instead of run: one cell per (row, seed) of a
/// `compare` or per ρ of a `sweep`. The plan folder holds everything a scheduler needs (plan.json,
/// cells.tsv, finemix.sbatch) and receives each cell's result, so a plan made on a laptop runs the
/// same under Slurm, under `run-plan`, or cell by cell by hand.
public struct Plan: Codable, Equatable, Sendable {
    public static let fileName = "plan.json"
    public static let version = 1

    public var version: Int
    /// The command whose grid this is: "compare", "sweep" or "hunt".
    public var kind: String
    /// The user's command without the plan options, starting with the subcommand ("compare", …):
    /// what `collect` reports and reads its --markdown/--json/--csv paths from.
    public var command: [String]
    /// The folder the command was given in: relative paths in `command` and the cells mean this.
    public var directory: String
    /// The finemix binary that wrote the plan; every node runs this path (a shared install).
    public var executable: String
    public var resources: PlanResources
    public var cells: [PlanCell]

    public init(kind: String, command: [String], directory: String, executable: String,
                resources: PlanResources, cells: [PlanCell]) {
        version = Self.version
        self.kind = kind; self.command = command; self.directory = directory
        self.executable = executable; self.resources = resources; self.cells = cells
    }

    /// Reads `DIR/plan.json`, naming the folder when it is not a plan.
    public static func read(folder: URL) throws -> Plan {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FinemixError("\(folder.path) is not a plan folder: it has no \(fileName) (write one with compare, sweep or hunt --plan \(folder.path))")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError.fileSystem(error, path: url.path, action: "read the plan")
        }
        let plan: Plan
        do { plan = try JSONDecoder().decode(Plan.self, from: data) } catch {
            throw FinemixError("\(url.path) is not a readable plan (\(FinemixError.describing(error).message)); write the plan again")
        }
        guard plan.version == version else {
            throw FinemixError("\(url.path) is a version \(plan.version) plan; this finemix reads version \(version): write the plan again")
        }
        for (i, c) in plan.cells.enumerated() where c.index != i {
            throw FinemixError("\(url.path): cell \(i) carries index \(c.index); the cells must be numbered 0, 1, 2, … in order")
        }
        return plan
    }

    /// The running finemix binary: what a plan's script and run-plan start.
    public static func ownExecutable() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self) + Data("\n".utf8)
    }

    /// One line per cell, tab-separated, for `cut`/`awk` and a quick look: index, key, result
    /// file, then the command as shell words.
    public func cellsTSV() -> String {
        var s = "index\tkey\tresult\tcommand\n"
        for c in cells {
            s += "\(c.index)\t\(c.key)\t\(c.result)\t\(c.arguments.map(shellQuoted).joined(separator: " "))\n"
        }
        return s
    }
}

/// One defence of the grid.
public struct PlanCell: Codable, Equatable, Sendable {
    public var index: Int
    /// What the cell is in the report: "finetune seed 2", "rho 0.3".
    public var key: String
    /// The exact finemix command, "finemix" first; its --json names `report`.
    public var arguments: [String]
    /// Every file the cell reads, as it was when the plan was made.
    public var inputs: [InputFingerprint]
    /// The cell's own folder in the plan (its report and log).
    public var output: String
    /// The report the cell's command writes (relative to the plan folder).
    public var report: String
    /// The result file `run-cell` writes (relative to the plan folder).
    public var result: String

    public init(index: Int, key: String, arguments: [String], inputs: [InputFingerprint]) {
        self.index = index; self.key = key; self.arguments = arguments; self.inputs = inputs
        output = "cells/\(index)"
        report = "cells/\(index)/report.json"
        result = "results/\(index).json"
    }
}

extension PlanCell {
    /// Verbs whose cells fine-tune, and so depend on `--batches` and `--shards`.
    static let trainingVerbs: Set<String> = ["defend", "sweep", "compare"]

    /// `arguments` ("finemix" first) with `--batches ORDER` and `--shards K` added when a training
    /// verb's command does not name them: plans are written with the recipe pinned, and a plan
    /// written before an option existed keeps running (and resuming) on the recipe its first
    /// cells had (shuffled batches, unsharded steps).
    public static func pinningRecipe(_ arguments: [String], batches order: BatchOrder, shards: Int) -> [String] {
        guard arguments.count > 1, trainingVerbs.contains(arguments[1]) else { return arguments }
        func names(_ option: String) -> Bool { arguments.contains { $0 == option || $0.hasPrefix(option + "=") } }
        var out = arguments
        if !names("--batches") { out += ["--batches", order.rawValue] }
        if !names("--shards") { out += ["--shards", "\(shards)"] }
        return out
    }

    /// The command a run of this cell starts (see `pinningRecipe`).
    public var runArguments: [String] { Self.pinningRecipe(arguments, batches: .shuffled, shards: 1) }
}

/// A word as the shell reads it back: bare when safe, else in single quotes.
public func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
