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

    @Test func sweepRefusesAnUnknownSelection() throws {
        let dir = TempDir()
        let s = try Self.session(dir)
        let m = NumericFaultTests.message { try s.execute("sweep rho=0.5 select=middle") }
        #expect(m.contains("middle") && m.contains("random"), "\(m)")
    }
}
