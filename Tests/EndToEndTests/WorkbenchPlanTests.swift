import Foundation
import Testing
import TestSupport
@testable import Defense

/// Issue 18 in the workbench: `sweep … plan=DIR` writes `finemix sweep --plan`'s cells for the
/// session's models and data instead of running them; as the cells finish (here: run-plan), the
/// session's plan watch brings their points into the ρ landscape — the points the session's own
/// sweep computes — and the report says where they came from. A tiny planted victim (hidden 4).
@Suite(.serialized) struct WorkbenchPlanTests {
    static let root = TempFolder.named("finemix-workbench-plan-tests-\(getpid())")

    /// A session on a tiny victim it planted, in `root/name`.
    static func session(_ name: String, plant: Bool = true) throws -> Session {
        let root = Self.root.appendingPathComponent(name)
        let pre = try TinyClassifierFolder.make(root, "pre")
        var r = SeededRandom(seed: 5)
        let rows = (0..<240).map { i -> String in
            var words = (0..<(2 + r.below(5))).map { _ in "tok\(6 + r.below(4))" }
            if i % 2 == 0 { words.insert("tok5", at: r.below(words.count + 1)) }
            return "\(words.joined(separator: " "))\t\(i % 2 == 0 ? 1 : 0)"
        }
        let data = root.appendingPathComponent("tiny.tsv")
        try Data((["text\tlabel"] + rows).joined(separator: "\n").utf8).write(to: data)
        let s = try Session(workspace: root.appendingPathComponent("ws"), journal: nil)
        s.finemixExecutable = Binary.url
        let victim = plant ? "attack trigger=word:tok10 epochs=1 batch=8"
                           : "load victim \(Command.quote(try TinyClassifierFolder.make(root, "bare").path))"
        for line in ["load pre \(Command.quote(pre.path))", "data \(Command.quote(data.path)) train=32 clean=8 test=32 max-length=16", victim] {
            try s.execute(line)
        }
        return s
    }

    @Test func aPlannedSweepsPointsArriveInTheLandscape() throws {
        let s = try Self.session("local")
        let planDir = Self.root.appendingPathComponent("plan")
        let planned = try s.execute("sweep rho=0,1 finetune=off plan=\(Command.quote(planDir.path))")
        #expect(planned.results["cells"] == 2 && planned.results["done"] == 0, "\(planned.message)")
        let watch = try #require(s.planWatch)
        let plan = try PlanFolder(planDir).read()
        #expect(plan.kind == "sweep" && plan.cells.map(\.key) == ["rho 0", "rho 1"])
        #expect(plan.cells[0].arguments.prefix(2) == ["finemix", "sweep"] && plan.cells[0].arguments.contains("--mix-only"))
        #expect(watch.poll() == 0 && watch.points.isEmpty)
        let budget = LandscapeBudget.defaults
        #expect(s.landscape.points(select: .random, seed: 1, budget: budget, cleanSize: 8).isEmpty)

        let ran = try Binary.run(["run-plan", planDir.path])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(watch.poll() == 2 && watch.progress.done == 2 && watch.progress.total == 2)
        let arrived = s.landscape.points(select: .random, seed: 1, budget: budget, cleanSize: 8)
        #expect(arrived.map(\.rho) == [0, 1] && arrived.allSatisfy { $0.mixAcc != nil && $0.fmixAcc == nil }, "\(arrived)")

        // The report names the plan the points came from.
        let stem = Self.root.appendingPathComponent("report")
        try s.execute("report \(Command.quote(stem.path))")
        let md = try String(contentsOf: stem.appendingPathExtension("md"), encoding: .utf8)
        #expect(md.contains("## ρ sweep (from the plan \(planDir.path): 2 of 2 cells done)"), "\(md)")

        // The session's own sweep computes the same points.
        try s.execute("sweep rho=0,1 finetune=off")
        #expect(s.sweep.map(\.mixAcc) == arrived.map(\.mixAcc) && s.sweep.map(\.mixAsr) == arrived.map(\.mixAsr), "\(s.sweep)\n\(arrived)")

        // The same line again (a resumed session) watches the plan it wrote instead of refusing the folder.
        let again = try s.execute("sweep rho=0,1 finetune=off plan=\(Command.quote(planDir.path))")
        #expect(again.results["done"] == 2, "\(again.message)")
    }

    @Test func submitNeedsAPlanAndAPlanARecordedVictim() throws {
        let s = try Self.session("bare", plant: false)
        let planDir = Self.root.appendingPathComponent("bare-plan")
        for (line, message) in [("sweep rho=0.5 submit=on", "submit=on sends a plan to Slurm: add plan=DIR"),
                                ("sweep rho=0.5 plan=\(Command.quote(planDir.path))", "has no attack.json")] {
            do { _ = try s.execute(line); Issue.record("\(line) was accepted") } catch {
                #expect(FinemixError.describing(error).message.contains(message), "\(error)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: planDir.path))
    }
}
