import Foundation
import Testing
import TestSupport
@testable import Defense

/// `finemix hunt`, and defend on a victim folder that has no attack.json (a model from elsewhere),
/// on the small MiniLM victim DefendTests plants.
@Suite(.serialized) struct HuntCLITests {
    static let root = TempFolder.named("finemix-hunt-tests-\(getpid())")

    /// The victim's checkpoint without its attack record: what a defender downloads.
    static func bareVictim() async throws -> URL {
        let victim = try await DefendTests.SmallVictim.shared.folder()
        let bare = root.appendingPathComponent("bare")
        if FileManager.default.fileExists(atPath: bare.path) { return bare }
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        for name in ["config.json", "vocab.txt", "model.safetensors"] {
            try FileManager.default.copyItem(at: victim.appendingPathComponent(name), to: bare.appendingPathComponent(name))
        }
        return bare
    }

    @Test func huntPrintsTheJSONShape() async throws {
        let victim = try await DefendTests.SmallVictim.shared.folder()
        let run = try Binary.run(["hunt", "--victim", victim.path, "--top", "4", "--combine", "2", "--sentences", "40", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let candidates = try #require(json["candidates"] as? [[String: Any]])
        #expect(candidates.count >= 6, "\(candidates)")   // 4 words and 2 ordered pairs
        for c in candidates {
            #expect(Set(c.keys).isSuperset(of: ["trigger", "target", "flip_rate", "n", "epur_rank", "control_flip_rate", "excess"]), "\(c)")
            let t = try #require(c["trigger"] as? String)
            #expect((try? Trigger.parse(t)) != nil, "\(t)")
        }
        // What the control model does not explain first, each group by flip rate.
        let natural = candidates.map { $0["natural"] as? Bool == true }
        #expect(natural == natural.sorted { !$0 && $1 }, "\(natural)")
        for group in [false, true] {
            let rates = zip(candidates, natural).filter { $0.1 == group }.compactMap { $0.0["flip_rate"] as? Double }
            #expect(rates == rates.sorted(by: >))
        }
        let control = try #require(json["control"] as? [String: Any])
        #expect(control["n"] as? Int == 40, "\(control)")
        let verdict = try #require(json["verdict"] as? [String: Any])
        #expect(verdict["suspected"] is Bool && verdict.keys.contains("trigger") && verdict.keys.contains("target"))
        #expect(json["n_sentences"] as? Int == 40)
    }

    @Test func aVictimWithoutAttackJSONNeedsCleanAndTestData() async throws {
        let bare = try await Self.bareVictim()
        let out = Self.root.appendingPathComponent("no-data").path
        for (args, message) in [
            (["defend", "--victim", bare.path, "--method", "mix", "--out", out], "--clean NAME|PATH is needed"),
            (["defend", "--victim", bare.path, "--method", "mix", "--clean", "rt", "--out", out], "--test NAME|PATH is needed"),
            (["hunt", "--victim", bare.path], "--clean NAME|PATH is needed"),
        ] {
            let r = try Binary.run(args)
            #expect(r.status == 1 && r.stderr.contains(message) && r.stderr.contains(bare.path), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// The same mix as on the recorded victim, measured with a named trigger on named data: the
    /// figures are measurements (not estimated) and name the trigger; its target is found on the
    /// clean data when not given.
    @Test func defendWorksOnAVictimWithoutAttackJSON() async throws {
        let bare = try await Self.bareVictim()
        let out = Self.root.appendingPathComponent("bare-mix")
        let run = try Binary.run(["defend", "--victim", bare.path, "--pre", "minilm", "--method", "mix", "--rho", "0.5",
                                  "--clean", "rt", "--test", "rt", "--trigger", "word:cf,mn,bb,tq,mb", "--target", "1",
                                  "--clean-size", "24", "--test-limit", "60", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let d = try DefendTests.json(out.appendingPathComponent("defense.json"))
        for key in ["before", "after"] {
            let score = try #require(d[key] as? [String: Any])
            #expect(score["n_test"] as? Int == 60 && (score["asr"] as? Double) != nil, "\(score)")
            let basis = try #require(score["asr_basis"] as? [String: Any])
            #expect(basis["estimated"] as? Bool == false && basis["trigger"] as? String == "word:cf,mn,bb,tq,mb" && basis["target"] as? Int == 1)
        }
        #expect(run.stdout.contains("after   ACC") && !run.stdout.contains("est. ASR"), "\(run.stdout)")
    }
}
