import ArgumentParser
import Defense
import Foundation

/// `--plan DIR` and the Slurm knobs of compare and sweep: write the grid instead of running it.
struct PlanOptions: ParsableArguments {
    @Option(name: .long, help: "Write the grid as a plan folder here instead of running it (run it with finemix submit, or run-plan).")
    var plan: String?

    @Option(name: .long, help: "With --plan: the Slurm partition of the array job.")
    var partition: String?

    @Option(name: .long, help: "With --plan: Slurm --gres of each task (e.g. gpu:1).")
    var gres: String?

    @Option(name: .long, help: "With --plan: Slurm time limit of each task (e.g. 2:00:00).")
    var time: String?

    @Flag(name: .customLong("force-plan"), help: "With --plan: replace a plan folder finemix wrote (its results too).")
    var force = false

    /// The options above as they appear on the command line, to take them out of the cells.
    static let valued: Set<String> = ["--plan", "--partition", "--gres", "--time"]
    static let flags: Set<String> = ["--force-plan"]

    func check() throws {
        if plan == nil {
            for (name, v) in [("--partition", partition), ("--gres", gres), ("--time", time)] where v != nil {
                throw FinemixError("\(name) is for a plan: add --plan DIR, or leave it out to run here")
            }
            if force { throw FinemixError("--force-plan is for a plan: add --plan DIR") }
        }
        try PlanResources.checkWord(partition, option: "--partition")
        try PlanResources.checkWord(gres, option: "--gres")
        try PlanResources.checkWord(time, option: "--time")
    }
}

/// The user's command (subcommand first) without the given options: `valued` take a value
/// (`--x V` or `--x=V`), `flags` do not.
func removingOptions(_ args: [String], valued: Set<String>, flags: Set<String> = []) -> [String] {
    var out: [String] = []
    var i = 0
    while i < args.count {
        let a = args[i]
        if a == "--" { out += args[i...]; break }
        if flags.contains(a) || valued.contains(where: { a.hasPrefix($0 + "=") }) { i += 1; continue }
        if valued.contains(a) { i += 2; continue }
        out.append(a)
        i += 1
    }
    return out
}

/// What a grid reads, fingerprinted for its cells, and the resources of one cell.
struct PlanBasis {
    var inputs: [InputFingerprint]
    var resources: PlanResources

    /// A defence grid (compare, sweep): the victim, its pre-trained model, a --clean file.
    init(_ o: DefenseOptions, workspace: WorkspaceOptions, batch: Int, shards: Int, plan: PlanOptions) throws {
        let victimURL = URL(fileURLWithPath: o.victim, isDirectory: true)
        let record = try AttackRecord.read(folder: victimURL)
        let preURL: URL
        switch o.pre {
        case "minilm"?: preURL = try workspace.cache.minilm(progress: note)
        case let p?: preURL = URL(fileURLWithPath: p, isDirectory: true)
        case nil: preURL = URL(fileURLWithPath: record.pretrained, isDirectory: true)
        }
        inputs = try Self.fingerprints(victim: victimURL, pre: preURL, clean: o.clean)
        resources = try Self.resources(victimURL, batch: batch, tokens: o.maxLength ?? record.recipe.maxLength, shards: shards, plan: plan)
    }

    init(inputs: [InputFingerprint], resources: PlanResources) { self.inputs = inputs; self.resources = resources }

    static func fingerprints(victim: URL, pre: URL, clean: String?) throws -> [InputFingerprint] {
        try PlanInputs.fingerprints(victim: victim, pre: pre, clean: clean)
    }

    static func resources(_ victimURL: URL, batch: Int, tokens: Int, shards: Int = FineTuneRecipe.defaultShards,
                          plan: PlanOptions) throws -> PlanResources {
        try PlanInputs.resources(victimURL, batch: batch, tokens: tokens, shards: shards, partition: plan.partition, gres: plan.gres,
                                 time: plan.time)
    }
}

/// The running finemix binary (what the plan's script and run-plan start).
func finemixExecutable() -> URL { Plan.ownExecutable() }

/// Writes a plan of `kind` and says what to do next. Each cell's command gets `reportOption`
/// naming its report file; a cell's `inputs` (nil: the basis's) are what run-cell checks.
func writePlanFolder(_ options: PlanOptions, kind: String, command: [String], basis: PlanBasis, workspace: WorkspaceOptions,
                     reportOption: String = "--json",
                     cells: [(key: String, arguments: [String], inputs: [InputFingerprint]?)]) throws {
    let (folder, plan) = try PlanFolder.write(
        to: options.plan!, kind: kind, command: command, directory: FileManager.default.currentDirectoryPath,
        executable: finemixExecutable().path, resources: basis.resources,
        cells: cells.map { PlanCellSpec(key: $0.key, arguments: $0.arguments, inputs: $0.inputs ?? basis.inputs) },
        reportOption: reportOption, force: options.force, protecting: workspace.inputs)
    let r = plan.resources
    print("plan: \(plan.cells.count) cells in \(folder.url.path) (\(r.cpus) CPUs and \(r.memoryMB) MB per task)")
    print("  finemix submit \(shellQuoted(folder.url.path))     # Slurm array job")
    print("  finemix run-plan \(shellQuoted(folder.url.path))   # here, cell by cell")
}
