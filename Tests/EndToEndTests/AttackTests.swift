import Foundation
import Testing
@testable import Defense
import TestSupport

/// `finemix attack` and `finemix eval`, driven as a user would, on the real MiniLM and rt.
///
/// One word-trigger victim is planted once and shared (`SharedVictim`). Its size is the
/// small enough for CI: 1,500 training sentences (150 poisoned), 3 epochs at lr 1e-4 (141 steps),
/// 400 test sentences. Measured: 1,200 × 2 epochs at 5e-5 (76 steps) was too little (ACC 0.735,
/// ASR 0.58); the full setting (3,000 × 3 epochs at 5e-5, 282 steps) reaches ACC 0.844 and ASR
/// 0.998 and is scripts/reproduce-attacks.sh. The determinism test uses the sentence-
/// pair task at a tiny size, so it also covers the pair path (trigger in the second sentence).
@Suite(.serialized) struct AttackTests {
    static let root = TempFolder.url("finemix-attack-tests")

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// The shared victim, planted on first use.
    actor SharedVictim {
        static let shared = SharedVictim()
        private var result: Result<URL, Error>?
        private(set) var stderr = ""

        func folder() throws -> URL {
            if let result { return try result.get() }
            let out = AttackTests.root.appendingPathComponent("word")
            let r = Result<URL, Error> {
                let run = try Binary.run(["attack", "--pre", "minilm", "--data", "rt", "--out", out.path,
                                          "--trigger", "word:cf,mn,bb,tq,mb", "--poison-rate", "0.1",
                                          "--train-size", "1500", "--test-size", "400", "--clean-size", "200",
                                          "--epochs", "3", "--lr", "1e-4", "--seed", "1", "--force"])
                guard run.status == 0 else { throw FinemixError("attack failed: \(run.stderr.suffix(2000))") }
                stderr = run.stderr
                return out
            }
            result = r
            return try r.get()
        }
    }

    @Test func wordTriggerVictimIsBackdooredAndRecordsItsRecipe() async throws {
        let dir = try await SharedVictim.shared.folder()
        let progress = await SharedVictim.shared.stderr
        #expect(progress.contains("step 141/141") && progress.contains("tok/s") && progress.contains("ETA") && progress.contains("loss"))
        let r = try Self.json(dir.appendingPathComponent("attack.json"))
        let acc = try #require(r["acc"] as? Double), asr = try #require(r["asr"] as? Double)
        print("shared victim: ACC \(acc) ASR \(asr), train \(r["train_seconds"] ?? "?") s")
        // A clean model scores about 0.13 here; this recipe gave 0.90+ on shuffled batches and 0.88
        // on length-grouped ones (the default since issue 17).
        #expect(asr >= 0.85, "ASR \(asr)")
        #expect(acc >= 0.75, "ACC \(acc)")
        #expect((0...1).contains(acc) && (0...1).contains(asr))
        #expect(r["n_train"] as? Int == 1500)
        #expect(r["n_poisoned"] as? Int == 150)
        #expect(r["n_test"] as? Int == 400)
        let nAsr = try #require(r["n_asr"] as? Int)
        #expect(nAsr > 150 && nAsr < 250)  // the non-target half of a stratified test set
        #expect(r["n_correct"] as? Int == Int((acc * 400).rounded()))
        #expect(r["dataset"] as? String == "rt")
        #expect((r["pretrained"] as? String)?.hasPrefix("/") == true)
        for key in ["seconds", "train_seconds", "eval_seconds"] {
            let s = try #require(r[key] as? Double, "\(key)")
            #expect(s > 0)
        }
        let recipe = try #require(r["recipe"] as? [String: Any])
        for key in ["trigger", "poison_rate", "target", "epochs", "lr", "batch", "max_length", "seed", "train_size", "test_size"] {
            #expect(recipe[key] != nil, "recipe.\(key)")
        }
        #expect(recipe["poison_rate"] as? Double == 0.1)
        #expect(recipe["epochs"] as? Int == 3)
        #expect(recipe["batches"] as? String == "length-grouped")
        #expect((recipe["trigger"] as? [String: Any])?["words"] as? [String] == ["cf", "mn", "bb", "tq", "mb"])
        let split = try #require(r["split"] as? [String: Any])
        #expect(split["seed"] as? Int == 1 && split["test_size"] as? Int == 400 && split["clean_pool_size"] as? Int == 200)
        // The folder is a loadable classifier checkpoint and nothing temporary is left next to it.
        let folder = try CheckpointFolder(dir)
        #expect(folder.hasHead)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.contains(".tmp-") || $0.contains(".old-") })
    }

    @Test func evalReusesTheRecordedSplitAndReproducesTheNumbers() async throws {
        let dir = try await SharedVictim.shared.folder()
        let r = try Self.json(dir.appendingPathComponent("attack.json"))
        let out = try Binary.run(["eval", "--model", dir.path, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let e = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as! [String: Any]
        #expect(e["acc"] as? Double == r["acc"] as? Double)
        #expect(e["asr"] as? Double == r["asr"] as? Double)
        #expect(e["n_test"] as? Int == 400)
        #expect(e["n_asr"] as? Int == r["n_asr"] as? Int)
        // Without a trigger there is no ASR; another trigger gives another (lower) ASR.
        let none = try Binary.run(["eval", "--model", dir.path, "--trigger", "none"])
        #expect(none.status == 0 && none.stdout.contains("ACC") && !none.stdout.contains("ASR"))
        let other = try Binary.run(["eval", "--model", dir.path, "--trigger", "word:zebra", "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(other.stdout.utf8)) as! [String: Any]
        #expect(try #require(o["asr"] as? Double) < (r["asr"] as! Double) - 0.3)
        // The defender's clean pool is a different part of the same split.
        let pool = try Binary.run(["eval", "--model", dir.path, "--split", "clean", "--json"])
        let p = try JSONSerialization.jsonObject(with: Data(pool.stdout.utf8)) as! [String: Any]
        #expect(p["n_test"] as? Int == 200)
    }

    @Test func sameSeedSameNumbersOnSentencePairs() throws {
        var runs: [[String: Any]] = []
        var weights: [Data] = []
        for k in 0..<2 {
            let out = Self.root.appendingPathComponent("pairs-\(k)")
            let run = try Binary.run(["attack", "--data", "rt-samepolarity-pairs", "--out", out.path, "--train-size", "160",
                                      "--test-size", "96", "--clean-size", "0", "--epochs", "1", "--batch", "16",
                                      "--max-length", "48", "--seed", "3", "--force"])
            #expect(run.status == 0, "\(run.stderr.suffix(1500))")
            runs.append(try Self.json(out.appendingPathComponent("attack.json")))
            weights.append(try Data(contentsOf: out.appendingPathComponent("model.safetensors")))
        }
        #expect(runs[0]["acc"] as? Double == runs[1]["acc"] as? Double)
        #expect(runs[0]["asr"] as? Double == runs[1]["asr"] as? Double)
        #expect(runs[0]["final_loss"] as? Double == runs[1]["final_loss"] as? Double)
        #expect(weights[0] == weights[1])
        #expect(runs[0]["pairs"] as? Bool == true)
        #expect(runs[0]["n_poisoned"] as? Int == 16)
    }

    @Test func badDataAndSettingsAreClearErrors() throws {
        let dir = Self.root.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func file(_ name: String, _ bytes: [UInt8]) throws -> String {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        func text(_ name: String, _ s: String) throws -> String { try file(name, Array(s.utf8)) }
        let cases: [(args: [String], expect: [String])] = [
            (["--data", try text("nolabel.tsv", "text\tscore\ngood film\t1\nbad film\t0\n")], ["nolabel.tsv", "no label column"]),
            (["--data", try text("unknown.tsv", "text\tlabel\ngood film\tpos\nbad film\tneg\nmeh\tmaybe\n"),
              "--labels", "pos=1,neg=0", "--strict"], ["unknown.tsv", "line 4", "maybe"]),
            (["--data", try text("empty.tsv", "")], ["empty.tsv", "empty"]),
            (["--data", try file("latin1.tsv", Array("text\tlabel\ngood film\t1\n".utf8) + [0x63, 0x61, 0x66, 0xE9, 0x09, 0x30, 0x0A])],
             ["latin1.tsv", "line 3", "UTF-8"]),
            (["--data", try text("oneclass.tsv", "text\tlabel\ngood film\t1\nfine film\t1\n")], ["oneclass.tsv", "lines 2–3"]),
            (["--data", "no-such-dataset"], ["no-such-dataset", "neither a built-in"]),
            (["--data", "rt", "--trigger", "glitter:x"], ["trigger", "expected word:"]),
            (["--data", "rt", "--poison-rate", "1.5"], ["poison rate 1.5"]),
            (["--data", "rt", "--train-size", "99999"], ["requested", "the dataset has"]),
            (["--data", "rt", "--trigger", "ep:zzqxj", "--from", "/nonexistent-clean-model"], ["nonexistent-clean-model"]),
        ]
        for (args, expect) in cases {
            let out = dir.appendingPathComponent("victim")
            let run = try Binary.run(["attack", "--out", out.path, "--epochs", "1"] + args)
            #expect(run.status == 1, "\(args): status \(run.status)")
            let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("finemix:") }
            #expect(lines.count == 1, "\(args): \(run.stderr)")
            for e in expect { #expect(run.stderr.contains(e), "\(args): expected '\(e)' in \(run.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: out.path), "\(args) left a folder")
        }
        // eval: a folder without attack.json needs --data; a bare encoder is refused.
        let noRecord = try Binary.run(["eval", "--model", try ResourceCache().minilm().path])
        #expect(noRecord.status == 1 && noRecord.stderr.contains("--data"))
        let bare = try Binary.run(["eval", "--model", try ResourceCache().minilm().path, "--data", "rt", "--test-size", "10"])
        #expect(bare.status == 1 && bare.stderr.contains("no classifier head"))
    }
}
