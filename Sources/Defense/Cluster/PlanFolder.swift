import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The plan folder's layout and its files. Written whole through OutputFolder (marker, --force);
/// afterwards only `results/`, `cells/N/`, `logs/` and `jobs.tsv` change, each file atomically.
public struct PlanFolder: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url.standardizedFileURL }

    /// Writes plan.json, cells.tsv, the Slurm script and the empty result folders.
    /// `build` receives the folder's final URL (the cells name their report files by it).
    public static func write(to path: String, kind: String, force: Bool, protecting inputs: [(what: String, url: URL)],
                             build: (URL) throws -> Plan) throws -> (PlanFolder, Plan) {
        let out = try OutputFolder(path: path, command: "\(kind) --plan", force: force, inputs: inputs)
        let folder = PlanFolder(out.url)
        let plan = try build(folder.url)
        try out.write { tmp in
            try AtomicFile.write(try plan.encoded(), to: tmp.appendingPathComponent(Plan.fileName))
            try AtomicFile.write(Data(plan.cellsTSV().utf8), to: tmp.appendingPathComponent("cells.tsv"))
            // The script names the final folder, not the temporary one it is written in.
            let script = tmp.appendingPathComponent(SlurmScript.fileName)
            try AtomicFile.write(Data(SlurmScript.text(plan: plan, folder: folder.url).utf8), to: script)
            chmod(script.path, 0o755)
            for sub in ["results", "logs"] + plan.cells.map(\.output) {
                try AtomicFile.createFolder(tmp.appendingPathComponent(sub))
            }
        }
        return (folder, plan)
    }

    public func read() throws -> Plan { try Plan.read(folder: url) }

    /// Refuses before any work when a file the plan's cells read has changed since the plan was made.
    public func checkInputs(_ plan: Plan) throws {
        var seen = Set<String>()
        for cell in plan.cells { for input in cell.inputs where seen.insert(input.path).inserted {
            if let c = input.change(since: "the plan was made"), c.refuse {
                throw FinemixError("\(c.message); make the plan again (--plan \(url.path) --force-plan) to use the new file")
            }
        } }
    }

    public func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }

    /// The cell's result, nil when there is none yet (or it cannot be read: then it counts as
    /// not run, and running the cell again replaces it).
    public func result(_ cell: PlanCell) -> CellResult? {
        guard let data = try? Data(contentsOf: file(cell.result)) else { return nil }
        return try? JSONDecoder().decode(CellResult.self, from: data)
    }

    public func writeResult(_ r: CellResult, _ cell: PlanCell) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(r) + Data("\n".utf8), to: file(cell.result))
    }

    /// Done: the result says so and the report it promises is there.
    public func isDone(_ cell: PlanCell) -> Bool {
        result(cell)?.state == .done && FileManager.default.fileExists(atPath: file(cell.report).path)
    }

    // MARK: Slurm jobs submitted for this plan

    public struct Job: Equatable, Sendable {
        public var id: String
        public var array: String
        public var submitted: Double
        public init(id: String, array: String, submitted: Double) { self.id = id; self.array = array; self.submitted = submitted }
    }

    public var jobsURL: URL { file("jobs.tsv") }

    public func jobs() -> [Job] {
        guard let text = try? String(contentsOf: jobsURL, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3, let t = Double(f[2]) else { return nil }
            return Job(id: f[0], array: f[1], submitted: t)
        }
    }

    public func recordJob(_ job: Job) throws {
        var s = "job\tarray\tsubmitted\n"
        for j in jobs() + [job] { s += "\(j.id)\t\(j.array)\t\(j.submitted)\n" }
        try AtomicFile.write(Data(s.utf8), to: jobsURL)
    }
}
