import Foundation
import Testing
import TestSupport
@testable import Defense

/// Issue 18: `hunt` over several victims (a folder of victim folders, or repeated --victim), run
/// here and as a plan (one cell per victim): run-plan and collect print the local table byte for
/// byte and write the same JSON but for the times. Tiny victims (hidden 4, one layer) hunt in a
/// fraction of a second each.
@Suite(.serialized) struct HuntPlanTests {
    static let root = TempFolder.named("finemix-hunt-plan-tests-\(getpid())")

    struct Tiny { let pre: URL; let victims: URL; let clean: URL }

    /// A pre-trained tiny model, three victims in one folder (each with one word's embedding
    /// moved, so E-PUR ranks it first) and 60 clean sentences over their vocabulary.
    static let tiny: Result<Tiny, Error> = Result {
        let pre = try TinyClassifierFolder.make(root, "pre")
        let victims = root.appendingPathComponent("victims")
        for (name, token) in [("a", 7), ("b", 9), ("c", 11)] {
            _ = try TinyClassifierFolder.make(victims, name) { tensor, v in
                guard tensor.hasSuffix("word_embeddings.weight") else { return }
                for j in 0..<4 { v[token * 4 + j] += 2 }
            }
        }
        for name in ["a", "b", "c"] { try FileManager.default.removeItem(at: victims.appendingPathComponent("\(name)-vocab.txt")) }
        var r = SeededRandom(seed: 3)
        let rows = (0..<60).map { i -> String in
            let words = (0..<(2 + r.below(5))).map { _ in "tok\(5 + r.below(7))" }
            return "\(words.joined(separator: " "))\t\(i % 2)"
        }
        let clean = root.appendingPathComponent("clean.tsv")
        try Data((["text\tlabel"] + rows).joined(separator: "\n").utf8).write(to: clean)
        return Tiny(pre: pre, victims: victims, clean: clean)
    }

    static func arguments(_ t: Tiny) -> [String] {
        ["hunt", "--victims", t.victims.path, "--pre", t.pre.path, "--clean", t.clean.path, "--top", "3", "--combine", "2",
         "--sentences", "40", "--max-length", "16", "--threshold", "0.5", "--json-file", "hunt.json"]
    }

    static func folder(_ name: String) throws -> URL {
        let u = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// The JSON report without its times.
    static func withoutTimes(_ url: URL) throws -> NSArray {
        let j = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let victims = try #require(j["victims"] as? [[String: Any]])
        return NSArray(array: victims.map { v -> [String: Any] in
            var v = v
            var report = v["report"] as! [String: Any]
            report["seconds"] = nil
            // the control model's training time too
            if var control = report["control"] as? [String: Any] { control["seconds"] = nil; report["control"] = control }
            v["report"] = report
            return v
        })
    }

    @Test func aHuntPlanCollectsTheLocalTable() throws {
        let t = try Self.tiny.get()
        let here = try Self.folder("local"), there = try Self.folder("plan")
        let local = try Binary.run(Self.arguments(t), directory: here)
        #expect(local.status == 0, "\(local.stderr)")
        #expect(local.stdout.hasPrefix("trigger hunt on 3 victims: "), "\(local.stdout)")
        for name in ["a", "b", "c"] { #expect(local.stdout.contains("| \(t.victims.path)/\(name) | "), "\(local.stdout)") }

        let planDir = there.appendingPathComponent("plan")
        let made = try Binary.run(Self.arguments(t) + ["--plan", planDir.path], directory: there)
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("plan: 3 cells"), "\(made.stdout)")
        let plan = try PlanFolder(planDir).read()
        #expect(plan.kind == "hunt" && plan.cells.map(\.key) == ["a", "b", "c"].map { "\(t.victims.path)/\($0)" })
        // Each cell fingerprints its own victim (and the shared pre-trained model and clean file).
        #expect(plan.cells[1].inputs.contains { $0.path.hasPrefix(t.victims.path + "/b/") })
        #expect(!plan.cells[1].inputs.contains { $0.path.hasPrefix(t.victims.path + "/a/") })
        #expect(plan.cells[1].inputs.contains { $0.path == t.clean.path })

        let early = try Binary.run(["collect", planDir.path])
        #expect(early.status != 0 && early.stderr.contains("3 of 3 cells are not done"), "\(early.stderr)")
        let ran = try Binary.run(["run-plan", planDir.path, "--jobs", "2"])
        #expect(ran.status == 0, "\(ran.stderr)")
        let status = try Binary.run(["status", planDir.path])
        #expect(status.stdout.contains("hunt plan, 3 cells: 3 done, 0 running, 0 failed, 0 pending"), "\(status.stdout)")
        let collected = try Binary.run(["collect", planDir.path])
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(collected.stdout == local.stdout)
        #expect(try Self.withoutTimes(there.appendingPathComponent("hunt.json")) == Self.withoutTimes(here.appendingPathComponent("hunt.json")))
    }

    /// Repeated --victim is the same hunt as the folder; no victim at all is one sentence.
    @Test func repeatedVictimsAndNone() throws {
        let t = try Self.tiny.get()
        let here = try Self.folder("repeated")
        var args = Self.arguments(t)
        let i = try #require(args.firstIndex(of: "--victims"))
        args.replaceSubrange(i...(i + 1), with: ["--victim", t.victims.path + "/a", "--victim", t.victims.path + "/c", "--json"])
        let r = try Binary.run(args, directory: here)
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let victims = try #require(j["victims"] as? [[String: Any]])
        #expect(victims.compactMap { $0["victim"] as? String } == [t.victims.path + "/a", t.victims.path + "/c"])
        let none = try Binary.run(["hunt", "--pre", t.pre.path])
        #expect(none.status != 0 && none.stderr.contains("hunt needs a victim"), "\(none.stderr)")
    }
}
