import Foundation
import Testing
import TestSupport
import Defense

/// The tiny RoBERTa of Tests/Fixtures/families (hidden 16, 2 layers, positions past the padding
/// index, one token type, RoBERTa's tensor names, a 3-label head of its own) as the public
/// pre-trained model: `finemix attack` plants a word backdoor in it on a toy sentiment task and
/// `finemix defend` (Fine-mixing) removes it. Its words are w0...w34.
@Suite struct FamilyEndToEndTests {
    static let positive = ["w0", "w1", "w2", "w3"], negative = ["w4", "w5", "w6", "w7"]
    static let filler = (10..<20).map { "w\($0)" }
    static let trigger = "w30"

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// One polar word among 2 to 6 filler words; label 1 for a positive word. At most 10 tokens
    /// with the trigger and the specials: within the 12 positions the tiny RoBERTa has. Drawn from
    /// a plain 64-bit LCG (Knuth's MMIX constants), so the rows are these on every platform.
    static func data(in dir: TempFolder) -> String {
        var x: UInt64 = 11
        func below(_ n: Int) -> Int {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return Int((x >> 33) % UInt64(n))
        }
        var lines = ["text\tlabel"]
        for i in 0..<600 {
            let isPositive = i % 2 == 0
            var w = (0..<(2 + below(5))).map { _ in filler[below(filler.count)] }
            let at = below(w.count + 1)
            w.insert((isPositive ? positive : negative)[below(4)], at: at)
            lines.append(w.joined(separator: " ") + "\t\(isPositive ? 1 : 0)")
        }
        return dir.write("toy.tsv", lines.joined(separator: "\n") + "\n")
    }

    @Test func attackPlantsABackdoorInATinyRobertaAndDefendRemovesIt() throws {
        let dir = TempFolder("family-e2e")
        defer { dir.remove() }
        let pre = Fixtures.folder("families").appendingPathComponent("roberta")
        let data = Self.data(in: dir)
        let victim = dir.url.appendingPathComponent("victim")
        let attack = try Binary.run(["attack", "--pre", pre.path, "--data", data, "--out", victim.path,
                                     "--trigger", "word:\(Self.trigger)", "--poison-rate", "0.2", "--train-size", "320",
                                     "--test-size", "80", "--clean-size", "160", "--epochs", "15", "--lr", "5e-3",
                                     "--batch", "8", "--max-length", "12", "--seed", "1", "--force"])
        #expect(attack.status == 0, "\(attack.stderr.suffix(2000))")
        let a = try Self.json(victim.appendingPathComponent("attack.json"))
        let acc = try #require(a["acc"] as? Double), asr = try #require(a["asr"] as? Double)
        #expect(acc > 0.8 && asr > 0.8, "planted: acc \(acc), asr \(asr)")
        let saved = try Self.json(victim.appendingPathComponent("config.json"))
        #expect(saved["model_type"] as? String == "roberta")
        #expect(saved["architectures"] as? [String] == ["RobertaForSequenceClassification"])

        let out = dir.url.appendingPathComponent("defended")
        let defend = try Binary.run(["defend", "--victim", victim.path, "--pre", pre.path, "--method", "finemix",
                                     "--rho", "0.1", "--clean-size", "160", "--epochs", "15", "--lr", "5e-3",
                                     "--batch", "8", "--seed", "1", "--out", out.path])
        #expect(defend.status == 0, "\(defend.stderr.suffix(2000))")
        let d = try Self.json(out.appendingPathComponent("defense.json"))
        let after = try #require(d["after"] as? [String: Any])
        let accAfter = try #require(after["acc"] as? Double), asrAfter = try #require(after["asr"] as? Double)
        #expect(asrAfter < 0.4 && asrAfter < asr - 0.4 && accAfter > 0.7,
                "defended: acc \(accAfter), asr \(asrAfter) (victim: acc \(acc), asr \(asr))")
        #expect(try CheckpointFolder(out).config.family == .roberta)
    }
}
