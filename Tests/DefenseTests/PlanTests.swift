import Foundation
import Testing
@testable import Defense

/// Issue 18: a plan folder, its Slurm script, and `run-cell`'s rules (refuse a changed input,
/// skip a cell done, record how a cell ended), without Slurm and without a model: the cells here
/// run /bin/sh, standing in for the finemix binary.
@Suite struct PlanTests {
    /// A plan of `scripts.count` cells, each running `sh -c SCRIPT` in the plan's folder with
    /// its report path as $1, reading `input`.
    static func plan(_ dir: TempDir, _ scripts: [String], input: URL) throws -> PlanFolder {
        let fp = try InputFingerprint.of(input)
        let resources = PlanResources(weightBytes: 90_000_000, parameters: 22_700_000, hidden: 384, layers: 6, batch: 16, tokens: 64,
                                      partition: "short", gres: nil, time: "0:30:00")
        let (folder, _) = try PlanFolder.write(to: dir.url.appendingPathComponent("plan").path, kind: "compare", force: false,
                                               protecting: []) { url in
            Plan(kind: "compare", command: ["compare", "--victim", "v"], directory: dir.url.path, executable: "/bin/sh",
                 resources: resources, cells: scripts.enumerated().map { i, s in
                     PlanCell(index: i, key: "cell \(i)",
                              arguments: ["finemix", "-c", s, "cell", url.appendingPathComponent("cells/\(i)/report.json").path],
                              inputs: [fp])
                 })
        }
        return folder
    }

    @Test func thePlanFolderHoldsThePlanTheCellsAndTheScript() throws {
        let dir = TempDir()
        let input = try dir.file("victim.bin", Data("weights".utf8))
        let folder = try Self.plan(dir, ["echo {} > \"$1\"", "exit 3"], input: input)
        let plan = try folder.read()
        #expect(plan.cells.count == 2 && plan.cells[1].result == "results/1.json" && plan.cells[1].report == "cells/1/report.json")
        #expect(plan.cells[0].inputs.first?.path == input.standardizedFileURL.path)
        #expect(OutputFolder.isMarked(folder.url))
        let tsv = try String(contentsOf: folder.file("cells.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(tsv.count == 3 && tsv[2].hasPrefix("1\tcell 1\tresults/1.json\tfinemix -c 'exit 3' cell "), "\(tsv)")
        let script = try String(contentsOf: folder.file(SlurmScript.fileName), encoding: .utf8)
        for line in ["#SBATCH --array=0-1", "#SBATCH --cpus-per-task=\(plan.resources.cpus)", "#SBATCH --mem=\(plan.resources.memoryMB)M",
                     "#SBATCH --partition=short", "#SBATCH --time=0:30:00",
                     "exec /bin/sh run-cell \(folder.url.path) \"$SLURM_ARRAY_TASK_ID\""] {
            #expect(script.contains(line + "\n"), "\(line) missing from\n\(script)")
        }
        #expect(!script.contains("--gres"))
        // Writing again over it needs --force-plan; a folder finemix did not write is never replaced.
        #expect(throws: FinemixError.self) { try Self.plan(dir, ["true"], input: input) }
        let other = dir.url.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: other.appendingPathComponent("todo.txt"))
        #expect(throws: FinemixError.self) {
            _ = try PlanFolder.write(to: other.path, kind: "compare", force: true, protecting: []) { _ in plan }
        }
    }

    /// MiniLM and BERT-base with the defaults (batch 16, 64 tokens): the numbers docs/cluster.md gives.
    @Test func resourcesFollowTheModelAndTheBatch() {
        let minilm = PlanResources(weightBytes: 90_866_412, parameters: 22_713_216, hidden: 384, layers: 6, batch: 16, tokens: 64, shards: 1)
        let base = PlanResources(weightBytes: 437_967_880, parameters: 109_483_778, hidden: 768, layers: 12, batch: 16, tokens: 64, shards: 1)
        #expect(minilm.cpus == 2 && base.cpus == 8)
        #expect(minilm.memoryMB == 1024 && base.memoryMB == 4288, "\(minilm.memoryMB) \(base.memoryMB)")
        // a step in parts: one more gradient buffer per part (with the headroom), a core per part
        let parts = PlanResources(weightBytes: 437_967_880, parameters: 109_483_778, hidden: 768, layers: 12, batch: 16, tokens: 64, shards: 2)
        #expect(parts.memoryMB == 4864, "\(parts.memoryMB)")
        let small = PlanResources(weightBytes: 1_000_000, parameters: 250_000, hidden: 64, layers: 2, batch: 8, tokens: 32, shards: 4)
        #expect(small.cpus == 4)
        #expect(minilm.memoryMB % 64 == 0 && base.memoryMB > 2 * minilm.memoryMB, "\(minilm.memoryMB) \(base.memoryMB)")
        let bigBatch = PlanResources(weightBytes: 90_866_412, parameters: 22_713_216, hidden: 384, layers: 6, batch: 64, tokens: 128)
        #expect(bigBatch.memoryMB > minilm.memoryMB && bigBatch.cpus == 6)
        #expect(SlurmScript.arrayList([5, 0, 1, 2, 7, 8, 3]) == "0-3,5,7-8")
        #expect(throws: FinemixError.self) { try PlanResources.checkWord("gpu:1\n#SBATCH --x", option: "--gres") }
    }

    @Test func aCellRunsOnceAndRecordsHowItEnded() throws {
        let dir = TempDir()
        let input = try dir.file("victim.bin", Data("weights".utf8))
        let folder = try Self.plan(dir, ["echo '{\"n\": 1}' > \"$1\"", "echo 'no such row' >&2; exit 3", "exit 0"], input: input)
        let sh = URL(fileURLWithPath: "/bin/sh")
        #expect(try CellRunner.run(folder: folder, index: 0, executable: sh) == .done)
        let plan = try folder.read()
        let first = try #require(folder.result(plan.cells[0]))
        #expect(first.state == .done && first.exit == 0 && first.finished != nil)
        // Done stays done: the second run does not start the command (the result is untouched).
        #expect(try CellRunner.run(folder: folder, index: 0, executable: sh) == .alreadyDone)
        #expect(folder.result(plan.cells[0]) == first)
        guard case .failed(let why) = try CellRunner.run(folder: folder, index: 1, executable: sh) else { Issue.record("cell 1 should fail"); return }
        #expect(why.contains("exit status 3") && why.contains("no such row"), "\(why)")
        #expect(folder.result(plan.cells[1])?.state == .failed && folder.result(plan.cells[1])?.exit == 3)
        // Exit 0 without the promised report is a failure too.
        guard case .failed(let none) = try CellRunner.run(folder: folder, index: 2, executable: sh) else { Issue.record("cell 2 should fail"); return }
        #expect(none.contains("without writing cells/2/report.json"), "\(none)")
        #expect(throws: FinemixError.self) { try CellRunner.run(folder: folder, index: 3, executable: sh) }

        let cells = PlanStatus.cells(plan, folder: folder, slurm: SlurmView())
        #expect(cells.map(\.state) == [.done, .failed, .failed])
        #expect(PlanStatus.summary(cells) == "1 done, 0 running, 2 failed, 0 pending")
    }

    /// A victim replaced on the shared file system after the plan was made: the cell refuses,
    /// names the file, and says so in its result.
    @Test func aCellRefusesAnInputThatChanged() throws {
        let dir = TempDir()
        let input = try dir.file("victim.bin", Data("weights".utf8))
        let folder = try Self.plan(dir, ["echo '{}' > \"$1\""], input: input)
        try Data("Weights".utf8).write(to: input)
        do {
            _ = try CellRunner.run(folder: folder, index: 0, executable: URL(fileURLWithPath: "/bin/sh"))
            Issue.record("the cell ran on a changed input")
        } catch let e as FinemixError {
            #expect(e.message.contains("\(input.standardizedFileURL.path) changed since the plan was made"), "\(e.message)")
        }
        let plan = try folder.read()
        #expect(!FileManager.default.fileExists(atPath: folder.file(plan.cells[0].report).path))
        let r = try #require(folder.result(plan.cells[0]))
        #expect(r.state == .failed && r.message?.contains("refused") == true)
        // Restored, it runs.
        try Data("weights".utf8).write(to: input)
        #expect(try CellRunner.run(folder: folder, index: 0, executable: URL(fileURLWithPath: "/bin/sh")) == .done)
    }

    /// Without Slurm: a "running" result whose process is gone on this host is a failure; one
    /// from a Slurm task when squeue no longer lists it, too.
    @Test func statusFromTheFilesAlone() throws {
        let dir = TempDir()
        let input = try dir.file("victim.bin", Data("weights".utf8))
        let folder = try Self.plan(dir, ["true", "true", "true"], input: input)
        let plan = try folder.read()
        let host = ProcessInfo.processInfo.hostName
        let dead = CellResult(index: 0, state: .running, exit: nil, signal: nil, message: nil, host: host, pid: Int32.max - 7,
                              slurmTask: nil, started: 0, finished: nil)
        try folder.writeResult(dead, plan.cells[0])
        var alive = dead; alive.index = 1; alive.pid = getpid()
        try folder.writeResult(alive, plan.cells[1])
        var none = SlurmView()
        var cells = PlanStatus.cells(plan, folder: folder, slurm: none)
        #expect(cells.map(\.state) == [.failed, .running, .pending], "\(cells)")
        var slurmTask = alive; slurmTask.slurmTask = "12_1"
        try folder.writeResult(slurmTask, plan.cells[1])
        try folder.recordJob(.init(id: "12", array: "0-2", submitted: 0))
        none.available = true
        none.queued[2] = ("12_2", "PENDING")
        cells = PlanStatus.cells(plan, folder: folder, slurm: none)
        #expect(cells.map(\.state) == [.failed, .failed, .pending], "\(cells)")
        #expect(cells[1].detail.contains("12_1 ended without a result"))
        #expect(folder.jobs().map(\.id) == ["12"])
    }
}
