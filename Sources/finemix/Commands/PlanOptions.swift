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

/// What a defence grid reads, fingerprinted for its cells, and the resources of one cell.
struct PlanBasis {
    var inputs: [InputFingerprint]
    var resources: PlanResources

    init(_ o: DefenseOptions, workspace: WorkspaceOptions, batch: Int, plan: PlanOptions) throws {
        let victimURL = URL(fileURLWithPath: o.victim, isDirectory: true)
        let victim = try CheckpointFolder(victimURL)
        let record = try AttackRecord.read(folder: victimURL)
        let preURL: URL
        switch o.pre {
        case "minilm"?: preURL = try workspace.cache.minilm(progress: note)
        case let p?: preURL = URL(fileURLWithPath: p, isDirectory: true)
        case nil: preURL = URL(fileURLWithPath: record.pretrained, isDirectory: true)
        }
        var files = try Self.files(in: victimURL) + Self.files(in: preURL)
        if let clean = o.clean, FileManager.default.fileExists(atPath: clean) { files.append(URL(fileURLWithPath: clean)) }
        inputs = try files.map { try InputFingerprint.of($0) }
        let parameters = victim.weights.tensorNames.reduce(0) { $0 + (victim.weights.shape(of: $1)?.reduce(1, *) ?? 0) }
        let size = (try? FileManager.default.attributesOfItem(atPath: victim.weightsURL.path))?[.size] as? Int
        resources = PlanResources(weightBytes: size ?? parameters * 4, parameters: parameters,
                                  hidden: victim.config.hiddenSize, layers: victim.config.numHiddenLayers,
                                  batch: batch, tokens: o.maxLength ?? record.recipe.maxLength,
                                  partition: plan.partition, gres: plan.gres, time: plan.time)
    }

    /// The regular files a checkpoint folder holds (not the marker or hidden files).
    static func files(in dir: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() } catch {
            throw FinemixError.fileSystem(error, path: dir.path, action: "list the folder to fingerprint its files")
        }
        return names.filter { !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }.filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDir) && !isDir.boolValue
        }
    }
}

/// The running finemix binary (what the plan's script and run-plan start).
func finemixExecutable() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
}

/// Writes a plan of `kind` and says what to do next.
func writePlanFolder(_ options: PlanOptions, kind: String, command: [String], basis: PlanBasis, workspace: WorkspaceOptions,
               cells: (URL) throws -> [(key: String, arguments: [String])]) throws {
    let (folder, plan) = try PlanFolder.write(to: options.plan!, kind: kind, force: options.force, protecting: workspace.inputs) { url in
        let made = try cells(url)
        return Plan(kind: kind, command: command, directory: FileManager.default.currentDirectoryPath,
                    executable: finemixExecutable().path, resources: basis.resources,
                    cells: made.enumerated().map { i, c in
                        PlanCell(index: i, key: c.key, arguments: c.arguments + ["--json", url.appendingPathComponent("cells/\(i)/report.json").path],
                                 inputs: basis.inputs)
                    })
    }
    let r = plan.resources
    print("plan: \(plan.cells.count) cells in \(folder.url.path) (\(r.cpus) CPUs and \(r.memoryMB) MB per task)")
    print("  finemix submit \(shellQuoted(folder.url.path))     # Slurm array job")
    print("  finemix run-plan \(shellQuoted(folder.url.path))   # here, cell by cell")
}
