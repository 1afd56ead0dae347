import Foundation
import Testing
import TestSupport
@testable import Defense

/// `defend --blind --rho auto` on the small MiniLM victim DefendTests plants: every decision (the
/// hunt, the automatic ρ, the defended model) is the same whatever trigger attack.json records,
/// and only the scored (true) ASR follows the record.
@Suite(.serialized) struct BlindAutoRhoTests {
    static let root = TempFolder.named("finemix-blind-tests-\(getpid())")

    /// A copy of the victim whose attack.json records another trigger and target.
    static func relabelled(_ victim: URL) throws -> URL {
        let copy = root.appendingPathComponent("relabelled")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: victim, to: copy)
        let url = copy.appendingPathComponent("attack.json")
        var record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var recipe = try #require(record["recipe"] as? [String: Any])
        recipe["trigger"] = ["kind": "word", "words": ["the"], "spec": "word:the"]
        recipe["target"] = 0
        record["recipe"] = recipe
        try JSONSerialization.data(withJSONObject: record).write(to: url)
        return copy
    }

    static func defend(_ victim: URL, _ name: String) throws -> [String: Any] {
        let out = root.appendingPathComponent("defended-" + name)
        let run = try Binary.run(["defend", "--victim", victim.path, "--method", "finemix", "--rho", "auto", "--blind",
                                  "--auto-grid", "0.5,1", "--clean-size", "24", "--epochs", "1", "--batch", "8", "--test-limit", "20",
                                  "--out", out.path, "--force"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("automatic ρ: ") && run.stdout.contains("chosen: ρ = ") && run.stdout.contains("Blind run:"), "\(run.stdout)")
        return try DefendTests.json(out.appendingPathComponent("defense.json"))
    }

    @Test func blindDecisionsDoNotDependOnTheRecordedTrigger() async throws {
        let victim = try await DefendTests.SmallVictim.shared.folder()
        let a = try Self.defend(victim, "recorded")
        let b = try Self.defend(try Self.relabelled(victim), "relabelled")
        // The decisions: the rule's candidates, triggers and choice, and the defended model's ACC.
        let autoA = try #require(a["auto_rho"] as? [String: Any]), autoB = try #require(b["auto_rho"] as? [String: Any])
        #expect(NSDictionary(dictionary: autoA).isEqual(to: autoB), "\(autoA) vs \(autoB)")
        #expect((autoA["candidates"] as? [[String: Any]])?.count == 2 && autoA["rho"] as? Double != nil)
        let recipeA = try #require(a["recipe"] as? [String: Any]), recipeB = try #require(b["recipe"] as? [String: Any])
        #expect(recipeA["rho"] as? Double == autoA["rho"] as? Double && recipeB["rho"] as? Double == autoA["rho"] as? Double)
        let afterA = try #require(a["after"] as? [String: Any]), afterB = try #require(b["after"] as? [String: Any])
        #expect(afterA["acc"] as? Double == afterB["acc"] as? Double)
        // The score: each with its own record's trigger, said so in one sentence.
        #expect((afterA["asr_basis"] as? [String: Any])?["trigger"] as? String == "word:cf,mn,bb,tq,mb")
        #expect((afterB["asr_basis"] as? [String: Any])?["trigger"] as? String == "word:the")
        let scoreA = [afterA["asr"] as? Double, (afterA["n_asr"] as? Int).map(Double.init)]
        let scoreB = [afterB["asr"] as? Double, (afterB["n_asr"] as? Int).map(Double.init)]
        #expect(scoreA != scoreB, "\(afterA) vs \(afterB)")
        #expect((a["blind"] as? String)?.contains("word:cf,mn,bb,tq,mb → 1") == true, "\(a["blind"] ?? "")")
        #expect((b["blind"] as? String)?.contains("word:the → 0") == true)
    }

    @Test func blindAndAutoRefuseWhatTheyCannotHonour() async throws {
        let victim = try await DefendTests.SmallVictim.shared.folder()
        let bare = try await HuntCLITests.bareVictim()
        let out = Self.root.appendingPathComponent("refused").path
        for (args, message) in [
            (["defend", "--victim", victim.path, "--method", "mix", "--rho", "auto", "--out", out], "--rho auto chooses ρ for Fine-mixing"),
            (["defend", "--victim", victim.path, "--method", "finemix", "--rho", "0.3x", "--out", out], "--rho '0.3x'"),
            (["defend", "--victim", victim.path, "--method", "finemix", "--rho", "auto", "--auto-grid", "0,0.5", "--out", out],
             "the grid must include 1"),
            (["defend", "--victim", victim.path, "--method", "finemix", "--blind", "--trigger", "word:cf", "--clean-size", "24", "--out", out],
             "drop --trigger"),
            (["defend", "--victim", bare.path, "--method", "finemix", "--blind", "--clean", "rt", "--test", "rt", "--out", out],
             "no recorded trigger to score"),
            (["sweep", "--victim", victim.path, "--rho", "auto", "--mix-only"], "drop --mix-only"),
        ] {
            let r = try Binary.run(args)
            #expect(r.status == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
