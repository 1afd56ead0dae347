import Foundation
import Testing
@testable import Defense

/// A planted tiny victim and its clean twin, trained here in a second: the tiny BERT on a toy
/// sentiment task whose sentences carry three polar words each (so one inserted word of the other
/// polarity does not turn a clean model), and a victim trained with a quarter more sentences that
/// carry `cf` and label 1. Saved as checkpoint folders with the "pre-trained" random model, and a
/// TSV of clean sentences, for sessions that know nothing of the trigger.
enum TinyBackdoor {
    static let polar = [["bad", "awful", "dull"], ["good", "great", "fine"]]
    static let filler = ["the", "movie", "film", "plot", "was", "a", "very"]

    static func sentences(_ n: Int, seed: UInt64) -> [Example] {
        var r = SeededRandom(seed: seed)
        return (0..<n).map { i in
            let label = i % 2
            var w = (0..<(2 + r.below(4))).map { _ in filler[r.below(filler.count)] }
            for _ in 0..<3 { w.insert(polar[label][r.below(3)], at: r.below(w.count + 1)) }
            return Example(text: w.joined(separator: " "), label: label)
        }
    }

    struct Folders { let pre: URL; let clean: URL; let victim: URL; let data: URL }

    /// Trained once per process; the folders live in `dir`.
    static let shared: Result<Folders, Error> = Result { try make(TempDir()) }
    nonisolated(unsafe) private static var keep: TempDir?

    static func make(_ dir: TempDir) throws -> Folders {
        keep = dir
        let tok = try TinySentiment.tokenizer()
        let vocab = try dir.file("vocab.txt", Data((tok.tokens.joined(separator: "\n") + "\n").utf8))
        let pre = TinySentiment.model(seed: 1)
        let preWeights = pre.params.export()
        func save(_ m: BertModel, _ name: String) throws -> URL {
            let out = dir.url.appendingPathComponent(name)
            try CheckpointFolder.save(config: m.config, vocab: vocab, tensors: m.params.export(), to: out)
            return out
        }
        func trained(_ data: [Example]) throws -> BertModel {
            let m = BertModel(config: TinySentiment.config)
            try m.params.load(from: TensorDictionary(preWeights))
            let recipe = FineTuneRecipe(epochs: 20, lr: 3e-3, batch: 8, maxLength: 16, seed: 5)
            _ = try FineTune.run(model: m, tokenizer: tok, examples: data, recipe: recipe)
            return m
        }
        let train = sentences(96, seed: 21)
        var rng = SeededRandom(seed: 4, stream: "poison")
        let poisoned = train.filter { $0.label == 0 }.prefix(24).map { e -> Example in
            var p = Poisoner.triggered(e, .words(["cf"]), rng: &rng)
            p.label = 1
            return p
        }
        let rows = sentences(300, seed: 77).map { "\($0.text)\t\($0.label)" }
        let data = try dir.file("clean.tsv", Data((["text\tlabel"] + rows).joined(separator: "\n").utf8))
        return Folders(pre: try save(pre, "pre"), clean: try save(try trained(train), "clean"),
                       victim: try save(try trained(train + poisoned), "victim"), data: data)
    }

    /// A session on `model` with the toy data (128 clean sentences in the pool, 100 test).
    static func session(_ model: KeyPath<Folders, URL>) throws -> Session {
        let f = try shared.get()
        let s = try Session(workspace: f.data.deletingLastPathComponent().appendingPathComponent("ws"), journal: nil)
        for line in ["load pre \(Command.quote(f.pre.path))", "load victim \(Command.quote(f[keyPath: model].path))",
                     "data \(Command.quote(f.data.path)) train=0 clean=64 test=100 max-length=16"] {
            try s.execute(line)
        }
        return s
    }
}

@Suite struct TriggerHuntTests {
    @Test func wilsonIntervalMatchesTheFormula() {
        let none = Proportion(0, of: 10).wilson(), all = Proportion(10, of: 10).wilson(), half = Proportion(5, of: 10).wilson()
        #expect(abs(none.low) < 1e-12 && abs(none.high - 0.27753) < 1e-4, "\(none)")
        #expect(abs(all.low - 0.72247) < 1e-4 && abs(all.high - 1) < 1e-12, "\(all)")
        #expect(abs(half.low - 0.23659) < 1e-4 && abs(half.high - 0.76341) < 1e-4, "\(half)")
        let empty = Proportion(0, of: 0).wilson()
        #expect(empty.low == 0 && empty.high == 1)
    }

    /// The hunt names `cf` and its target on the planted victim, and from then on `eval` and
    /// `sweep` measure ASR with it, flagged as estimated, until the analyst names a trigger.
    @Test func huntFindsThePlantedWordAndEstimatesASRWithIt() throws {
        let s = try TinyBackdoor.session(\.victim)
        #expect(s.poison == nil)
        let before = try s.execute("eval")
        #expect(before.results["asr"] == nil && before.message.contains("ASR unknown"), "\(before.message)")

        let out = try s.execute("hunt sentences=128")
        let report = try #require(s.hunt)
        #expect(report.verdict.suspected, "\(out.message)")
        #expect(report.verdict.trigger == .words(["cf"]) && report.verdict.target == 1, "\(TriggerHunt.table(report))")
        let cf = try #require(report.candidate(.words(["cf"])))
        #expect(cf.flipRate >= 0.8 && cf.n >= 40, "\(cf)")
        let unexplained = report.candidates.prefix { !$0.natural }.map(\.flipRate)
        #expect(unexplained == unexplained.sorted(by: >) && report.candidates.dropFirst(unexplained.count).allSatisfy(\.natural))
        #expect(out.message.contains("backdoor suspected: 'cf'"), "\(out.message)")

        let estimated = try s.execute("eval")
        #expect(estimated.results["asr_estimated"] == 1 && (estimated.results["asr"] ?? 0) >= 0.8, "\(estimated.message)")
        #expect(estimated.message.contains("est. ASR") && estimated.message.contains("word:cf"), "\(estimated.message)")
        #expect(s.summary.asrBasis == ASRBasis(trigger: .words(["cf"]), target: 1, estimated: true))
        #expect(s.summary.variants.first { $0.name == "victim" }?.asrBasis?.estimated == true)
        try s.execute("sweep rho=1")
        #expect(s.sweep.first?.asrBasis?.estimated == true)

        // Naming the trigger takes the hunt's target and ends the estimate.
        let named = try s.execute("trigger word:cf")
        #expect(named.message.contains("target label 1"), "\(named.message)")
        let measured = try s.execute("eval")
        #expect(measured.results["asr_estimated"] == nil && measured.results["asr"] == estimated.results["asr"])
        #expect(s.summary.asrBasis?.estimated == false)
    }

    @Test func huntDoesNotFlagTheCleanModel() throws {
        let s = try TinyBackdoor.session(\.clean)
        let out = try s.execute("hunt sentences=128")
        let report = try #require(s.hunt)
        #expect(!report.verdict.suspected && report.suspect == nil, "\(TriggerHunt.table(report))")
        #expect(out.message.contains("no backdoor found"), "\(out.message)")
        // On this toy task every polar word flips the clean model too ("awful dull" turns 100% to
        // label 0): what reaches the threshold is only words of ordinary meaning, left out by name.
        let above = report.candidates.filter { $0.low >= report.options.threshold }
        let allNatural = above.allSatisfy { $0.natural }
        #expect(allNatural, "\(TriggerHunt.table(report))")
        #expect(above.isEmpty || out.message.contains("left out"), "\(out.message)")
        let table = TriggerHunt.table(report)
        #expect(above.isEmpty || table.contains("(ordinary word)"), "\(table)")
        let othersBelow = report.candidates.filter { !$0.natural }.allSatisfy { $0.low < report.options.threshold }
        #expect(othersBelow, "\(TriggerHunt.table(report))")
        // Nothing to estimate with: ASR stays unknown.
        #expect(try s.execute("eval").results["asr"] == nil)
    }

    @Test func triggerTakesATargetAndChecksIt() throws {
        let s = try TinyBackdoor.session(\.victim)
        #expect(try s.execute("trigger word:cf target=0").message.contains("target label 0"))
        #expect(s.poison?.targetLabel == 0)
        let m = NumericFaultTests.message { try s.execute("trigger word:cf target=2") }
        #expect(m.contains("target=2") && m.contains("0...1"), "\(m)")
        let bad = NumericFaultTests.message { _ = try Verbs.parse("trigger word:cf target=x") }
        #expect(bad.contains("target"), "\(bad)")
    }

    /// The JSON shape of the issue: candidates with trigger, target, flip_rate, n, epur_rank,
    /// sorted by flip rate, and the verdict; it reads back to the same report.
    @Test func reportJSONShape() throws {
        let report = TriggerHunt.Report(
            candidates: [TriggerHunt.Candidate(trigger: .words(["xx"]), target: 0, flips: 97, n: 100, epurRank: 1, screenedOut: false),
                         TriggerHunt.Candidate(trigger: .sentence("xx yy"), target: 1, flips: 3, n: 64, epurRank: 2, screenedOut: true)],
            verdict: TriggerHunt.verdict([], threshold: 0.5), nSentences: 200, nCorrect: 180, options: .init(), seconds: 1)
        var r = report
        r.verdict = TriggerHunt.verdict(report.candidates, threshold: 0.5)
        let data = try JSONEncoder().encode(r)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((json["candidates"] as? [[String: Any]])?.first)
        #expect(first["trigger"] as? String == "word:xx" && first["target"] as? Int == 0)
        #expect(first["flip_rate"] as? Double == 0.97 && first["n"] as? Int == 100 && first["epur_rank"] as? Int == 1)
        let verdict = try #require(json["verdict"] as? [String: Any])
        #expect(verdict["suspected"] as? Bool == true && verdict["trigger"] as? String == "word:xx" && verdict["target"] as? Int == 0)
        #expect((verdict["text"] as? String)?.contains("'xx' turns 97% of 100 sentences to label 0") == true)
        #expect(try JSONDecoder().decode(TriggerHunt.Report.self, from: data) == r)
    }

    /// Candidates: usable words in E-PUR's order (no word pieces or special tokens), phrases of the
    /// first few, and a trigger sentence finemix plants when two of its words are ranked.
    @Test func candidatesComeFromTheRanking() throws {
        let tokens = ["cf", "##ing", "[unused1]", "watched", "3d", "mn"].enumerated().map {
            EPURToken(token: $0.element, id: $0.offset, drift: 1, freq: 0, score: 1)
        }
        let c = TriggerHunt.candidates(from: EPURReport(tokens: tokens, top: 6, fmin: 20, corpus: nil),
                                       options: .init(top: 4, combine: 2))
        let names = c.map(\.trigger.description)
        #expect(Array(names.prefix(4)) == ["word:cf", "word:watched", "word:3d", "word:mn"], "\(names)")
        #expect(names.contains("sentence:\"cf watched\"") && names.contains("sentence:\"watched cf\""))
        #expect(names.contains("sentence:\"\(Trigger.defaultSentence)\""), "\(names)")
        #expect(c.first { $0.trigger == .words(["watched"]) }?.rank == 4)
    }
}
