import Foundation
import Testing
@testable import Defense

/// The workbench's `sweep` fine-tunes with `finetune`'s options: the same budget and seed give
/// the same model, so the ρ = 1 point of a Fine-mixing sweep is the `finetune` of the victim.
@Suite struct WorkbenchSweepTests {
    static func session(_ dir: TempDir) throws -> Session {
        let pre = try NumericFaultTests.folder(dir, "pre"), victim = try NumericFaultTests.folder(dir, "victim", seed: 2)
        // 120 rows over the tiny vocabulary: label 1 when tok5 occurs.
        var r = SeededRandom(seed: 5)
        let rows = (0..<120).map { i -> String in
            var words = (0..<(2 + r.below(5))).map { _ in "tok\(6 + r.below(5))" }
            if i % 2 == 0 { words.insert("tok5", at: r.below(words.count + 1)) }
            return "\(words.joined(separator: " "))\t\(i % 2 == 0 ? 1 : 0)"
        }
        let data = try dir.file("tiny.tsv", Data((["text\tlabel"] + rows).joined(separator: "\n").utf8))
        let s = try Session(workspace: dir.url.appendingPathComponent("ws"), journal: nil)
        for line in ["load pre \(Command.quote(pre.url.path))", "load victim \(Command.quote(victim.url.path))",
                     "data \(Command.quote(data.path)) train=4 clean=8 test=32 max-length=16", "trigger word:tok11"] {
            try s.execute(line)
        }
        return s
    }

    @Test func fineMixingSweepUsesTheFinetuneBudgetAndSeed() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let sweep = try s.execute("sweep rho=1 finetune=on epochs=2 batch=4 lr=1e-2 seed=3")
        #expect(sweep.results["steps"] == 4)   // 2 epochs × ⌈8 / 4⌉
        try s.execute("variant victim")
        let tuned = try s.execute("finetune epochs=2 batch=4 lr=1e-2 seed=3")
        #expect(tuned.results["steps"] == 4)
        let point = try #require(s.sweep.first)
        #expect(point.acc == tuned.results["acc"])
        #expect(point.asr == tuned.results["asr"])

        let longer = try s.execute("sweep rho=1,0.5 finetune=on epochs=3 batch=4 seed=3")
        #expect(longer.results["steps"] == 6)
        #expect(s.sweep.map(\.rho) == [1, 0.5])
        #expect(longer.message.contains("Fine-mixing, 6 steps each"), "\(longer.message)")
    }

    /// `mix auto`: the hunt's suspects (not the trigger in force) estimate ASR on the held-out
    /// sentences, AutomaticRho chooses among 11 ρ, the mix is made at that ρ and the report says why.
    @Test func mixAutoMixesAtTheRulesChoiceAndReportsIt() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let out = try s.execute("mix auto seed=3")
        let a = try #require(s.autoRho)
        let rho = try #require(a.rho)
        #expect(out.results["auto_rho"] == rho && out.message.contains("automatic ρ = "), "\(out.message)")
        #expect(a.candidates.map(\.rho).count == 11 && a.nHeldOut == 64)
        #expect(s.hunt != nil)
        #expect(s.current?.name == VariantNames.mix(of: "victim", rho: rho))
        #expect(s.current?.recipe.last == "mix \(fmt(rho)) seed=3", "\(s.current?.recipe ?? [])")
        let stem = dir.url.appendingPathComponent("report")
        try s.execute("report \(Command.quote(stem.path))")
        let md = try String(contentsOf: stem.appendingPathExtension("md"), encoding: .utf8)
        #expect(md.contains("## Automatic ρ (mix auto)") && md.contains("← chosen"), "\(md)")
    }

    @Test func sweepRefusesAnUnknownSelection() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let m = NumericFaultTests.message { try s.execute("sweep rho=0.5 select=middle") }
        #expect(m.contains("middle") && m.contains("random"), "\(m)")
    }

    /// The workbench's sweep runs `finemix sweep`'s cells: mixing only and Fine-mixing at every ρ
    /// unless told finetune=off, with the budget it is given (epochs), and its points carry both.
    @Test func sweepFineTunesByDefaultWithBothHalvesOfEachPoint() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let out = try s.execute("sweep rho=0,1 epochs=1 batch=4")
        #expect(out.results["steps"] == 2, "\(out.results)")   // 1 epoch × ⌈8 / 4⌉
        #expect(s.sweep.count == 2)
        for p in s.sweep {
            #expect(p.mixAcc != nil && p.fmixAcc != nil && p.heldOutAcc != nil, "\(p)")
        }
        try s.execute("sweep rho=0.5 finetune=off")
        #expect(s.sweep.count == 1 && s.sweep[0].mixAcc != nil && s.sweep[0].fmixAcc == nil)
    }

    /// A Fine-mixing point the landscape trained is what `mix` then `finetune` with the same knobs
    /// would make: `finetune` adopts it instead of training again, with the same figures.
    @Test func finetuneTakesTheLandscapesTrainedPoint() throws {
        let dir = TempDir()
        let trained = try Self.session(dir)
        let budget = LandscapeBudget(epochs: 2, lr: 1e-2, batch: 4)
        let work = try #require(try trained.landscapeWork(select: .random, seed: 3, budget: budget))
        try work.compute(work.key(rho: 0.5, fineMixing: true), cancel: CancellationFlag())
        try trained.execute("mix 0.5 seed=3")
        let adopted = try trained.execute("finetune epochs=2 batch=4 lr=1e-2 seed=3")
        #expect(adopted.results["from_landscape"] == 1, "\(adopted.message)")

        let freshDir = TempDir()
        let fresh = try Self.session(freshDir)
        try fresh.execute("mix 0.5 seed=3")
        let tuned = try fresh.execute("finetune epochs=2 batch=4 lr=1e-2 seed=3")
        #expect(tuned.results["from_landscape"] == nil)
        #expect(adopted.results["acc"] == tuned.results["acc"])
        #expect(adopted.results["asr"] == tuned.results["asr"])
        #expect(trained.current?.name == fresh.current?.name)
        // Another budget is another point: trained afresh.
        try trained.execute("mix 0.5 seed=3")
        let other = try trained.execute("finetune epochs=1 batch=4 lr=1e-2 seed=3")
        #expect(other.results["from_landscape"] == nil)
        withExtendedLifetime((dir, freshDir)) {}
    }

    /// The landscape computes every mixing-only point before any Fine-mixing one, and a paused
    /// flag holds a point until resumed.
    @Test func landscapeMixingFirstAndPausedWorkWaits() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let work = try #require(try s.landscapeWork(select: .random, seed: 1, budget: LandscapeBudget(epochs: 1, lr: 1e-2, batch: 4)))
        let order = work.missing(near: 0.3)
        #expect(order.count == 22)
        #expect(order.prefix(11).allSatisfy { !$0.fineMixing } && order.dropFirst(11).allSatisfy(\.fineMixing))
        #expect(order[11].rho == 0.3)
        for key in order.prefix(11) { try work.compute(key, cancel: CancellationFlag()) }
        let points = s.landscape.points(select: .random, seed: 1, budget: work.budget, cleanSize: 8)
        #expect(points.map(\.rho) == LandscapeWork.rhos && points.allSatisfy { $0.mixAcc != nil && $0.fmixAcc == nil })

        let flag = CancellationFlag()
        flag.pause()
        let done = Finished()
        let key = order[11]
        let sendable = UncheckedWork(work: work)
        Thread.detachNewThread {
            try? sendable.work.compute(key, cancel: flag)
            done.set()
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!done.value && s.landscape.entry(key) == nil, "a paused point went on")
        flag.resume()
        for _ in 0..<600 where !done.value { Thread.sleep(forTimeInterval: 0.05) }
        #expect(done.value && s.landscape.entry(key)?.weights != nil)
    }

    /// The landscape's mixing-only points (one probe for every ρ: one parameter buffer reloaded,
    /// the ρ = 1 point taken from the victim's score) are `DefenseRun`'s `.mix` bit for bit: the
    /// same weights at every ρ, and the same ACC and ASR.
    @Test func landscapeMixingPointsAreDefenseRunsMixBitForBit() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let work = try #require(try s.landscapeWork(select: .random, seed: 3, budget: LandscapeBudget(epochs: 1, lr: 1e-2, batch: 4)))
        for rho in LandscapeWork.rhos { try work.compute(work.key(rho: rho, fineMixing: false), cancel: CancellationFlag()) }
        let points = s.landscape.points(select: .random, seed: 3, budget: work.budget, cleanSize: 8)
        #expect(points.map(\.rho) == LandscapeWork.rhos)
        let data = work.probe
        #expect(data.basis != nil && !data.asrSet.isEmpty)
        let probe = try MixingProbe(pre: work.pre, victim: work.victim, data: data, recipe: work.recipe)
        for p in points {
            var recipe = work.recipe
            recipe.method = .mix
            recipe.rho = p.rho
            let old = try DefenseRun.run(pre: work.pre, victim: work.victim, clean: data.clean, test: data.test, asrSet: data.asrSet,
                                         targetLabel: data.basis?.target ?? 0, recipe: recipe, asrBasis: data.basis)
            #expect(p.mixAcc == old.result.after.acc && p.mixAsr == old.result.after.asr, "ρ \(p.rho): \(p) against \(old.result.after)")
            #expect(try probe.score(rho: p.rho) == old.result.after)
            let fresh = BertParameters(config: work.victim.config)
            try fresh.load(from: DefenseRun.defendedWeights(pre: work.pre, victim: work.victim, clean: data.clean, recipe: recipe,
                                                            events: { _ in }).source)
            let a = UnsafeBufferPointer(start: probe.params.values.base, count: probe.params.values.count)
            let b = UnsafeBufferPointer(start: fresh.values.base, count: fresh.values.count)
            #expect(a.elementsEqual(b) { $0.bitPattern == $1.bitPattern }, "ρ \(p.rho): the probe's weights differ")
        }
    }
}

private struct UncheckedWork: @unchecked Sendable { let work: LandscapeWork }

private final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func set() { lock.lock(); done = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return done }
}
