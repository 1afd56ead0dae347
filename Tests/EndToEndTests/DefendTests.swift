import Foundation
import Testing
@testable import Defense
import TestSupport

/// `finemix defend` (and the argument checks of sweep and compare) driven as a user would, on a
/// small victim planted here with `finemix attack` on the real MiniLM: 96 training sentences, one
/// epoch (3 steps), 60 test sentences, a 40-sentence defender pool. It need not be a strong
/// backdoor: these tests check what the command writes and that mixing's end points are exact.
@Suite(.serialized) struct DefendTests {
    static let root = TempFolder.url("finemix-defend-tests")

    actor SmallVictim {
        static let shared = SmallVictim()
        private var result: Result<URL, Error>?
        func folder() throws -> URL {
            if let result { return try result.get() }
            let out = DefendTests.root.appendingPathComponent("victim")
            let r = Result<URL, Error> {
                let run = try Binary.run(["attack", "--pre", "minilm", "--data", "rt", "--out", out.path,
                                          "--trigger", "word:cf,mn,bb,tq,mb", "--poison-rate", "0.2",
                                          "--train-size", "96", "--test-size", "60", "--clean-size", "40",
                                          "--epochs", "1", "--seed", "3", "--force"])
                guard run.status == 0 else { throw FinemixError("attack failed: \(run.stderr.suffix(2000))") }
                return out
            }
            result = r
            return try r.get()
        }
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    static func floats(_ source: any TensorSource, _ name: String) throws -> [Float] {
        let n = source.shape(of: name)!.reduce(1, *)
        var v = [Float](repeating: 0, count: n)
        try v.withUnsafeMutableBufferPointer { try source.readFloats(name, into: $0) }
        return v
    }

    @Test func fineTuningWritesTheCheckpointAndDefenseJSON() async throws {
        let victim = try await SmallVictim.shared.folder()
        let out = Self.root.appendingPathComponent("ft")
        let run = try Binary.run(["defend", "--victim", victim.path, "--method", "finetune", "--epur", "--epur-top", "20",
                                  "--clean-size", "24", "--epochs", "1", "--batch", "8", "--out", out.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let d = try Self.json(out.appendingPathComponent("defense.json"))
        #expect(Set(d.keys).isSuperset(of: ["recipe", "before", "after", "epur", "loss", "seconds"]))
        let stdout = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(stdout?["loss"] as? [Double] == d["loss"] as? [Double])
        for key in ["before", "after"] {
            let s = try #require(d[key] as? [String: Any])
            let acc = try #require(s["acc"] as? Double), asr = try #require(s["asr"] as? Double)
            #expect((0...1).contains(acc) && (0...1).contains(asr), "\(key): \(acc) \(asr)")
        }
        let recipe = try #require(d["recipe"] as? [String: Any])
        #expect(recipe["method"] as? String == "finetune" && recipe["epur"] as? Bool == true && recipe["clean_size"] as? Int == 24)
        #expect(recipe["epochs"] as? Int == 1 && recipe["batch"] as? Int == 8 && recipe["rho"] as? Double == 0.3)
        #expect((d["loss"] as? [Double])?.count == 3)  // 1 epoch × ceil(24 / 8)
        #expect((d["seconds"] as? Double).map { $0 > 0 } == true)
        let tokens = try #require((d["epur"] as? [String: Any])?["tokens"] as? [[String: Any]])
        #expect(tokens.count == 20)
        #expect(tokens.allSatisfy { Set($0.keys).isSuperset(of: ["token", "id", "drift", "freq", "score"]) })
        let scores = tokens.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))
        // The defended folder is a loadable classifier.
        let folder = try CheckpointFolder(out)
        #expect(folder.hasHead && folder.config.numLabels == 2)
    }

    @Test func mixingEndPointsAreTheVictimAndThePretrainedEncoder() async throws {
        let victim = try await SmallVictim.shared.folder()
        let record = try Self.json(victim.appendingPathComponent("attack.json"))
        let one = Self.root.appendingPathComponent("rho1")
        let r1 = try Binary.run(["defend", "--victim", victim.path, "--method", "mix", "--rho", "1", "--clean-size", "24", "--out", one.path])
        #expect(r1.status == 0, "\(r1.stderr)")
        let d1 = try Self.json(one.appendingPathComponent("defense.json"))
        let after = try #require(d1["after"] as? [String: Any]), before = try #require(d1["before"] as? [String: Any])
        #expect(after["acc"] as? Double == record["acc"] as? Double)
        #expect(after["asr"] as? Double == record["asr"] as? Double)
        #expect(before["acc"] as? Double == record["acc"] as? Double && before["asr"] as? Double == record["asr"] as? Double)
        #expect((d1["loss"] as? [Double])?.isEmpty == true)
        let v = try CheckpointFolder(victim), m1 = try CheckpointFolder(one)
        for name in v.weights.tensorNames { #expect(try Self.floats(m1.weights, name) == Self.floats(v.weights, name), "\(name)") }

        let zero = Self.root.appendingPathComponent("rho0")
        let r0 = try Binary.run(["defend", "--victim", victim.path, "--method", "mix", "--rho", "0", "--clean-size", "24", "--out", zero.path])
        #expect(r0.status == 0, "\(r0.stderr)")
        let pre = try CheckpointFolder(try ResourceCache().minilm()), m0 = try CheckpointFolder(zero)
        for name in m0.weights.tensorNames {
            let expected = name.hasPrefix("classifier.") ? try Self.floats(v.weights, name) : try Self.floats(pre.weights, name)
            #expect(try Self.floats(m0.weights, name) == expected, "\(name)")
        }
    }

    @Test func badArgumentsGiveOneClearError() async throws {
        let victim = try await SmallVictim.shared.folder()
        let out = Self.root.appendingPathComponent("bad").path
        let cases: [([String], String)] = [
            (["defend", "--victim", victim.path, "--method", "finemix", "--rho", "1.5", "--out", out], "rho must be in [0, 1]"),
            (["defend", "--victim", victim.path, "--method", "finemix", "--rho=-0.1", "--out", out], "rho must be in [0, 1]"),
            (["defend", "--victim", victim.path, "--method", "none", "--epur", "--epur-top", "40000", "--clean-size", "24", "--out", out], "candidate tokens of the vocabulary"),
            (["defend", "--victim", victim.path, "--method", "finetune", "--clean-size", "0", "--out", out], "clean set is empty"),
            (["defend", "--victim", victim.path, "--method", "finetune", "--clean-size", "41", "--out", out], "has only 40 sentences"),
            (["defend", "--victim", victim.path, "--method", "magic", "--out", out], "--method 'magic'"),
            (["sweep", "--victim", victim.path, "--rho", "0:1.5:0.5"], "every ρ must lie in [0, 1]"),
            (["compare", "--victim", victim.path, "--seeds", "0"], "--seeds must be in 1...100"),
        ]
        for (args, message) in cases {
            let r = try Binary.run(args)
            #expect(r.status == 1, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// `finemix epur` on its own, with clean text from a TSV read through the same column options
    /// as every other command: the ranked list, and a purified folder whose top rows are the
    /// pre-trained ones and whose other rows are the victim's.
    @Test func epurRanksFromADatasetFileAndWritesThePurifiedVictim() async throws {
        let victim = try await SmallVictim.shared.folder()
        let pre = try ResourceCache().minilm()
        let tsv = Self.root.appendingPathComponent("clean.tsv")
        let rows = ["the film is good", "a dull and tired plot", "wonderful acting", "i hated the ending"]
        try Data((["sentence\tverdict"] + rows.enumerated().map { "\($1)\t\($0 % 2)" }).joined(separator: "\n").utf8).write(to: tsv)
        let out = Self.root.appendingPathComponent("purified")
        let run = try Binary.run(["epur", "--pre", pre.path, "--victim", victim.path, "--clean", tsv.path,
                                  "--text-column", "sentence", "--label-column", "verdict", "--top", "7", "--json", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let stdout = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(stdout["clean_texts"] as? Int == rows.count)
        let tokens = try #require((stdout["epur"] as? [String: Any])?["tokens"] as? [[String: Any]])
        let ids = tokens.compactMap { $0["id"] as? Int }
        #expect(ids.count == 7)
        let name = "embeddings.word_embeddings.weight"
        let purified = try CheckpointFolder(out), v = try CheckpointFolder(victim), p = try CheckpointFolder(pre)
        let (a, b, c) = (try Self.floats(purified.weights, name), try Self.floats(v.weights, name), try Self.floats(p.weights, name))
        let h = v.config.hiddenSize
        for id in ids { #expect(a[id * h..<(id + 1) * h] == c[id * h..<(id + 1) * h], "row \(id) not reset") }
        let untouched = try #require((0..<v.config.vocabSize).first { !ids.contains($0) && b[$0 * h..<($0 + 1) * h] != c[$0 * h..<($0 + 1) * h] })
        #expect(a[untouched * h..<(untouched + 1) * h] == b[untouched * h..<(untouched + 1) * h])
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("epur.json").path))
        // Without the column options the header has no 'text' column: one message naming the file.
        let bad = try Binary.run(["epur", "--pre", pre.path, "--victim", victim.path, "--clean", tsv.path])
        #expect(bad.status != 0 && bad.stderr.contains(tsv.path) && bad.stderr.contains("text"), "\(bad.stderr)")
    }

    /// The sweep's terminal chart: one ACC and one ASR bar per ρ, every bar in the same column
    /// whatever the width of the ρ labels (1, 0.5, 0.125).
    @Test func sweepChartBarsLineUp() async throws {
        let victim = try await SmallVictim.shared.folder()
        let run = try Binary.run(["sweep", "--victim", victim.path, "--mix-only", "--rho", "1,0.5,0.125", "--clean-size", "24"])
        #expect(run.status == 0, "\(run.stderr)")
        let bars = run.stdout.split(separator: "\n").filter { $0.contains(" ACC |") || $0.contains(" ASR |") }
        #expect(bars.count == 6, "\(run.stdout)")
        let columns = Set(bars.map { line in line.prefix { $0 != "|" }.count })
        #expect(columns.count == 1, "\(run.stdout)")
        // The table above it: every row as wide as its header, numbers right-aligned under it.
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.firstIndex { $0.contains("mix ACC") })
        let rows = lines[(header + 1)...].prefix(3)
        #expect(rows.allSatisfy { $0.count == lines[header].count }, "\(run.stdout)")
    }

    /// Issue 19: compare's seeds each draw their own clean set from the pool and the report says
    /// so; --fixed-clean keeps the pool's first N for every seed, as defend takes it (so reports
    /// made before per-seed clean sets rerun digit for digit).
    @Test func compareDrawsACleanSetPerSeedUnlessFixed() async throws {
        let victim = try await SmallVictim.shared.folder()
        let dir = Self.root.appendingPathComponent("compare-draw")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let base = ["compare", "--victim", victim.path, "--only", "finetune", "--seed", "5", "--seeds", "1", "--clean-size", "16",
                    "--epochs", "1", "--batch", "8", "--test-limit", "20"]
        let perSeed = try Binary.run(base + ["--json", dir.appendingPathComponent("per-seed.json").path])
        #expect(perSeed.status == 0, "\(perSeed.stderr)")
        #expect(perSeed.stdout.contains("Sources of variance in ±: mixing mask, shuffles, dropout, clean set (16 of the pool's 40 sentences per seed); held fixed: one victim (split seed 3)."), "\(perSeed.stdout)")
        let p = try Self.json(dir.appendingPathComponent("per-seed.json"))
        #expect(p["clean_draw"] as? String == "per-seed" && p["n_pool"] as? Int == 40 && p["split_seed"] as? Int == 3)
        #expect((p["variance"] as? [String])?.contains("clean set") == true)

        let fixed = try Binary.run(base + ["--fixed-clean", "--json", dir.appendingPathComponent("fixed.json").path])
        #expect(fixed.status == 0, "\(fixed.stderr)")
        #expect(fixed.stdout.contains("held fixed: one victim (split seed 3), one clean set (the pool's first 16)."), "\(fixed.stdout)")
        let f = try Self.json(dir.appendingPathComponent("fixed.json"))
        #expect(f["clean_draw"] as? String == "fixed" && (f["variance"] as? [String])?.contains("clean set") == false)

        // defend trains on the pool's first 16: the fixed comparison's run, not the drawn one
        let out = dir.appendingPathComponent("ft")
        let defend = try Binary.run(["defend", "--victim", victim.path, "--method", "finetune", "--seed", "5", "--clean-size", "16",
                                     "--epochs", "1", "--batch", "8", "--test-limit", "20", "--out", out.path, "--json"])
        #expect(defend.status == 0, "\(defend.stderr)")
        let d = try #require(try JSONSerialization.jsonObject(with: Data(defend.stdout.utf8)) as? [String: Any])
        let run = try #require(((f["rows"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]])?.first)
        let after = try #require(d["after"] as? [String: Any])
        #expect(run["acc"] as? Double == after["acc"] as? Double && run["asr"] as? Double == after["asr"] as? Double, "\(run) vs \(after)")
    }

    /// `--precision bf16` of sweep and compare: every defence trains and evaluates in BF16, as
    /// `defend --precision bf16` does (the same run gives the same scores), and the reports say so.
    @Test(.enabled(if: (try? Precision.bf16.requireSupported()) != nil))
    func sweepAndCompareDefendInBF16AsDefendDoes() async throws {
        let victim = try await SmallVictim.shared.folder()
        let dir = Self.root.appendingPathComponent("bf16")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let budget = ["--seed", "5", "--clean-size", "16", "--epochs", "1", "--batch", "8", "--test-limit", "20", "--fixed-clean",
                      "--precision", "bf16"]
        let defend = try Binary.run(["defend", "--victim", victim.path, "--method", "finemix", "--rho", "0.5", "--out",
                                     dir.appendingPathComponent("fm").path, "--json"] + budget.filter { $0 != "--fixed-clean" })
        #expect(defend.status == 0, "\(defend.stderr)")
        let d = try #require(try JSONSerialization.jsonObject(with: Data(defend.stdout.utf8)) as? [String: Any])
        let recipe = try #require(d["recipe"] as? [String: Any]), after = try #require(d["after"] as? [String: Any])
        #expect(recipe["training_precision"] as? String == "bf16" && recipe["evaluation_precision"] as? String == "bf16")

        let compare = try Binary.run(["compare", "--victim", victim.path, "--only", "finemix", "--rho", "0.5", "--seeds", "1",
                                      "--json", dir.appendingPathComponent("c.json").path] + budget)
        #expect(compare.status == 0, "\(compare.stderr)")
        #expect(compare.stdout.contains("Every defence's training and evaluations, and the victim's, in BF16"), "\(compare.stdout)")
        let c = try Self.json(dir.appendingPathComponent("c.json"))
        #expect(c["precision"] as? String == "bf16")
        let run = try #require(((c["rows"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]])?.first)
        #expect(run["acc"] as? Double == after["acc"] as? Double && run["asr"] as? Double == after["asr"] as? Double, "\(run) vs \(after)")

        let sweep = try Binary.run(["sweep", "--victim", victim.path, "--rho", "0.5", "--json", dir.appendingPathComponent("s.json").path]
                                   + budget)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        #expect(sweep.stdout.contains("every defence's training and evaluations in BF16"), "\(sweep.stdout)")
        let w = try Self.json(dir.appendingPathComponent("s.json"))
        #expect(w["precision"] as? String == "bf16")
        let point = try #require((w["points"] as? [[String: Any]])?.first)
        #expect(point["finemix_acc"] as? Double == after["acc"] as? Double && point["finemix_asr"] as? Double == after["asr"] as? Double,
                "\(point) vs \(after)")
        // the mixing-only point too (a mixing probe evaluates the buffer it fills per ρ)
        let mix = try Binary.run(["defend", "--victim", victim.path, "--method", "mix", "--rho", "0.5", "--out",
                                  dir.appendingPathComponent("mix").path, "--json"] + budget.filter { $0 != "--fixed-clean" })
        #expect(mix.status == 0, "\(mix.stderr)")
        let m = try #require((try JSONSerialization.jsonObject(with: Data(mix.stdout.utf8)) as? [String: Any])?["after"] as? [String: Any])
        #expect(point["mix_acc"] as? Double == m["acc"] as? Double && point["mix_asr"] as? Double == m["asr"] as? Double, "\(point) vs \(m)")
        // the victim's score beside them is the BF16 one, in both reports
        #expect((w["before"] as? [String: Any])?["acc"] as? Double == (d["before"] as? [String: Any])?["acc"] as? Double)
        #expect((c["before"] as? [String: Any])?["acc"] as? Double == (d["before"] as? [String: Any])?["acc"] as? Double)
    }

    /// Issue 19: --split-seeds plants the victim's attack again on the next split seeds (kept in
    /// the workspace and reused), defends every victim with every seed, and the report's ± spans
    /// the victims; each victim's run is the run `defend` gives on that victim.
    @Test func compareSpansSplitSeedsWithReplantedVictims() async throws {
        let victim = try await SmallVictim.shared.folder()
        let dir = Self.root.appendingPathComponent("compare-splits")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let env = ["FINEMIX_CACHE": ResourceCache().root.path]
        let ws = dir.appendingPathComponent("ws").path
        let args = ["compare", "--victim", victim.path, "--only", "finetune", "--seed", "5", "--seeds", "1", "--split-seeds", "2",
                    "--fixed-clean", "--clean-size", "16", "--epochs", "1", "--batch", "8", "--test-limit", "20", "--workspace", ws]
        let first = try Binary.run(args + ["--json", dir.appendingPathComponent("first.json").path], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("victim and split (2 split seeds); held fixed: the attack's recipe (victims of split seeds 3, 4)"), "\(first.stdout)")
        #expect(first.stdout.contains("| Victims (no defence) |"), "\(first.stdout)")
        let report = try Self.json(dir.appendingPathComponent("first.json"))
        let victims = try #require(report["victims"] as? [[String: Any]])
        #expect(victims.map { $0["split_seed"] as? Int } == [3, 4])
        let runs = try #require((report["rows"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]])
        #expect(runs.map { $0["split_seed"] as? Int } == [3, 4])

        // the planted victim is the same attack on split seed 4
        let planted = URL(fileURLWithPath: try #require(victims[1]["path"] as? String))
        #expect(planted.path.hasPrefix(ws + "/victims/"))
        let original = try AttackRecord.read(folder: victim), replanted = try AttackRecord.read(folder: planted)
        #expect(replanted.split.seed == 4 && replanted.recipe.seed == 4)
        #expect(replanted.recipe.trigger == original.recipe.trigger && replanted.recipe.trainSize == original.recipe.trainSize
                && replanted.recipe.poisonRate == original.recipe.poisonRate && replanted.split.cleanPoolSize == original.split.cleanPoolSize)

        // its run equals defend on it; a second compare reuses it and gives the same digits
        let defend = try Binary.run(["defend", "--victim", planted.path, "--method", "finetune", "--seed", "5", "--clean-size", "16",
                                     "--epochs", "1", "--batch", "8", "--test-limit", "20", "--out", dir.appendingPathComponent("ft").path, "--json"])
        #expect(defend.status == 0, "\(defend.stderr)")
        let after = try #require((try JSONSerialization.jsonObject(with: Data(defend.stdout.utf8)) as? [String: Any])?["after"] as? [String: Any])
        #expect(runs[1]["acc"] as? Double == after["acc"] as? Double && runs[1]["asr"] as? Double == after["asr"] as? Double, "\(runs[1]) vs \(after)")
        let again = try Binary.run(args + ["--json", dir.appendingPathComponent("again.json").path], environment: env)
        #expect(again.status == 0 && again.stderr.contains("using the victim planted earlier on split seed 4"), "\(again.stderr)")
        let runs2 = (try Self.json(dir.appendingPathComponent("again.json"))["rows"] as? [[String: Any]])?.first?["runs"] as? [[String: Any]]
        #expect(runs2?.map { $0["acc"] as? Double } == runs.map { $0["acc"] as? Double })

        // with each seed's own clean set, the pool's size is named next to "clean set"
        let drawn = try Binary.run(args.filter { $0 != "--fixed-clean" }, environment: env)
        #expect(drawn.status == 0, "\(drawn.stderr)")
        #expect(drawn.stdout.contains("dropout, clean set (16 of the pool's "), "\(drawn.stdout)")
        #expect(drawn.stdout.contains(" sentences per seed), victim and split (2 split seeds); held fixed: the attack's recipe"), "\(drawn.stdout)")
    }
}
