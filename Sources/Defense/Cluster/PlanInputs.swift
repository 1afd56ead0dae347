import Foundation

/// What a plan's cell reads and what one task of it asks Slurm for, worked out from the
/// checkpoint folders: shared by the CLI's `--plan` and the workbench's `sweep plan=`.
public enum PlanInputs {
    /// The regular files a checkpoint folder holds (not the marker or hidden files).
    public static func files(in dir: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() } catch {
            throw FinemixError.fileSystem(error, path: dir.path, action: "list the folder to fingerprint its files")
        }
        return names.filter { !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }.filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDir) && !isDir.boolValue
        }
    }

    /// Every file a cell on `victim` reads: the two checkpoints' files and a clean-data file.
    public static func fingerprints(victim: URL, pre: URL, clean: String?) throws -> [InputFingerprint] {
        var files = try files(in: victim) + files(in: pre)
        if let clean, FileManager.default.fileExists(atPath: clean) { files.append(URL(fileURLWithPath: clean)) }
        return try files.map { try InputFingerprint.of($0) }
    }

    /// What one task on `victim` asks for (PlanResources has the formula).
    public static func resources(_ victimURL: URL, batch: Int, tokens: Int, shards: Int = FineTuneRecipe.defaultShards,
                                 partition: String? = nil, gres: String? = nil, time: String? = nil) throws -> PlanResources {
        let victim = try CheckpointFolder(victimURL)
        let parameters = victim.weights.tensorNames.reduce(0) { $0 + (victim.weights.shape(of: $1)?.reduce(1, *) ?? 0) }
        let size = (try? FileManager.default.attributesOfItem(atPath: victim.weightsURL.path))?[.size] as? Int
        return PlanResources(weightBytes: size ?? parameters * 4, parameters: parameters,
                             hidden: victim.config.hiddenSize, layers: victim.config.numHiddenLayers,
                             batch: batch, tokens: tokens, shards: shards, partition: partition, gres: gres, time: time)
    }
}

/// One cell as a command writes it: what it is, its command ("finemix" first, without the report
/// option) and the files it reads.
public struct PlanCellSpec: Sendable {
    public var key: String
    public var arguments: [String]
    public var inputs: [InputFingerprint]
    public init(key: String, arguments: [String], inputs: [InputFingerprint]) {
        self.key = key; self.arguments = arguments; self.inputs = inputs
    }
}

extension PlanFolder {
    /// Writes a grid: every cell's command gets `reportOption` naming its report in the plan
    /// folder. `directory` is where the command was given (relative paths mean it).
    public static func write(to path: String, kind: String, command: [String], directory: String, executable: String,
                             resources: PlanResources, cells: [PlanCellSpec], reportOption: String = "--json", force: Bool,
                             protecting inputs: [(what: String, url: URL)]) throws -> (PlanFolder, Plan) {
        try write(to: path, kind: kind, force: force, protecting: inputs) { url in
            Plan(kind: kind, command: command, directory: directory, executable: executable, resources: resources,
                 cells: cells.enumerated().map { i, c in
                     PlanCell(index: i, key: c.key,
                              arguments: c.arguments + [reportOption, url.appendingPathComponent("cells/\(i)/report.json").path],
                              inputs: c.inputs)
                 })
        }
    }
}
