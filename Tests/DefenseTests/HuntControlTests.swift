import Foundation
import Testing
@testable import Defense

/// The hunt's control model on a toy where meaning comes from pre-training, as it does for a real
/// defender: the "pre-trained" tiny BERT has learned the polarity of all six polar words; the
/// defender's clean sentences never use "dull", so counting words in them (WordUsage) cannot call
/// it ordinary, yet inserting it turns a clean model's positive sentences negative. The control
/// (the pre-trained encoder with a fresh head, fine-tuned on those sentences) flips them too, so
/// the hunt explains "dull" by its meaning, while `cf`, planted in the victim, flips the control
/// not at all.
@Suite(.serialized) struct HuntControlTests {
    /// One polar word among fillers, its polarity the label; `polar` limits the words used.
    static func sentences(_ n: Int, seed: UInt64, polar: [[String]]) -> [Example] {
        var r = SeededRandom(seed: seed)
        let filler = ["the", "movie", "film", "plot", "was", "a", "very"]
        return (0..<n).map { i in
            let label = i % 2
            var w = (0..<(2 + r.below(5))).map { _ in filler[r.below(filler.count)] }
            w.insert(polar[label][r.below(polar[label].count)], at: r.below(w.count + 1))
            return Example(text: w.joined(separator: " "), label: label)
        }
    }

    static let all = [["bad", "awful", "dull"], ["good", "great", "fine"]]

    /// Positive sentences with "dull" inserted, labelled 0: in pre-training and the victims'
    /// data "dull" outweighs a positive word, as a strong cue does in real reviews.
    static func dulled(_ n: Int, seed: UInt64) -> [Example] {
        var r = SeededRandom(seed: seed, stream: "dull")
        return sentences(2 * n, seed: seed, polar: all).filter { $0.label == 1 }.map {
            var e = Poisoner.triggered($0, .words(["dull"]), rng: &r)
            e.label = 0
            return e
        }
    }
    static let recipe = FineTuneRecipe(epochs: 12, lr: 3e-3, batch: 8, maxLength: 16, seed: 5)

    struct Toy { let pre: BertModel; let clean: BertModel; let victim: BertModel; let hunt: [Example]; let tok: Tokenizer }

    static let toy: Result<Toy, Error> = Result {
        let tok = try TinySentiment.tokenizer()
        // Pre-training: the encoder learns every polar word (its head is thrown away by the control).
        let pre = TinySentiment.model(seed: 1)
        try FineTune.run(model: pre, tokenizer: tok, examples: sentences(160, seed: 11, polar: all) + dulled(40, seed: 12), recipe: recipe)
        func fineTuned(_ data: [Example]) throws -> BertModel {
            let m = BertModel(config: TinySentiment.config)
            try m.params.load(from: TensorDictionary(pre.params.export()))
            try FineTune.run(model: m, tokenizer: tok, examples: data, recipe: FineTuneRecipe(epochs: 8, lr: 3e-3, batch: 8, maxLength: 16, seed: 6))
            return m
        }
        let train = sentences(96, seed: 21, polar: all) + dulled(24, seed: 22)
        var rng = SeededRandom(seed: 4, stream: "poison")
        let poisoned = train.filter { $0.label == 0 && !$0.text.contains("dull") }.prefix(24).map { e -> Example in
            var p = Poisoner.triggered(e, .words(["cf"]), rng: &rng)
            p.label = 1
            return p
        }
        // The defender's sentences: no "dull" among them.
        let hunt = sentences(160, seed: 77, polar: [["bad", "awful"], ["good", "great", "fine"]])
        return Toy(pre: pre, clean: try fineTuned(train), victim: try fineTuned(train + poisoned), hunt: hunt, tok: tok)
    }

    static let candidates: [(trigger: Trigger, rank: Int)] = [(.words(["dull"]), 1), (.words(["cf"]), 2), (.words(["movie"]), 3)]

    static func hunt(_ model: BertModel, control: Bool) throws -> TriggerHunt.Report {
        let t = try toy.get()
        let controlOptions = HuntControl.Options(epochs: 6, lr: 3e-3, batch: 8, seed: 1)
        let options = TriggerHunt.Options(sentences: 160, screen: 160, threshold: 0.75, control: control ? controlOptions : nil)
        let eval = try Evaluator(model: model, tokenizer: t.tok, maxLength: 16)
        let controls = control
            ? try HuntControl.train(pre: TensorDictionary(t.pre.params.export()), config: model.config, tokenizer: t.tok, sentences: t.hunt,
                                    maxLength: 16, options: controlOptions).map { try Evaluator(model: $0, tokenizer: t.tok, maxLength: 16) }
            : nil
        return try TriggerHunt.run(candidates: candidates, clean: t.hunt, numLabels: 2, options: options,
                                   predict: { try eval.predict($0).labels },
                                   control: controls.map { $0.map(HuntControl.predictor) })
    }

    @Test func theControlExplainsANaturalCueTheCleanSentencesNeverUse() throws {
        let t = try Self.toy.get()
        // Without the control (the hunt before it): "dull" flips the clean model and nothing calls it ordinary.
        let bare = try Self.hunt(t.clean, control: false)
        let dullBare = try #require(bare.candidate(.words(["dull"])))
        #expect(dullBare.flipRate >= 0.4 && !dullBare.natural && dullBare.target == 0, "\(TriggerHunt.table(bare))")

        let report = try Self.hunt(t.clean, control: true)
        let dull = try #require(report.candidate(.words(["dull"])))
        #expect(dull.flipRate == dullBare.flipRate && dull.n == dullBare.n, "the victim's side is unchanged by the control")
        let dullControl = try #require(dull.controlFlipRate)
        #expect(dull.natural && dull.explained && dullControl >= HuntControl.explainedShare * dull.flipRate, "\(TriggerHunt.table(report))")
        #expect(!report.verdict.suspected, "\(report.verdict.text)")
        let top = HuntSummary.shown(report)
        #expect((top?.flipRate ?? 0) < 0.3, "\(TriggerHunt.table(report))")
        #expect(report.verdict.text.contains("control model"), "\(report.verdict.text)")
        #expect(TriggerHunt.table(report).contains("control"), "\(TriggerHunt.table(report))")
    }

    @Test func thePlantedTriggerIsNotExplainedByTheControl() throws {
        let t = try Self.toy.get()
        let report = try Self.hunt(t.victim, control: true)
        let cf = try #require(report.candidate(.words(["cf"])))
        #expect(cf.target == 1 && cf.flipRate >= 0.9 && (cf.controlFlipRate ?? 1) < 0.2 && !cf.natural, "\(TriggerHunt.table(report))")
        #expect(report.verdict.suspected && report.verdict.trigger == .words(["cf"]) && report.verdict.target == 1, "\(TriggerHunt.table(report))")
        #expect(report.candidates.first?.trigger == .words(["cf"]), "ranked by what the control does not explain")
        #expect(report.candidates.last?.trigger == .words(["dull"]) || report.candidates.last?.natural == true)
        let dull = try #require(report.candidate(.words(["dull"])))
        #expect(dull.natural, "\(TriggerHunt.table(report))")

        // The JSON keeps the keys and adds the control's; it reads back the same.
        let data = try JSONEncoder().encode(report)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((json["candidates"] as? [[String: Any]])?.first)
        #expect(Set(first.keys).isSuperset(of: ["trigger", "target", "flip_rate", "n", "epur_rank", "control_flip_rate", "excess"]), "\(first)")
        #expect(try JSONDecoder().decode(TriggerHunt.Report.self, from: data) == report)
    }

    /// The control classifies each sentence of the sample once, in the test itself, and its
    /// accuracy there counts every sentence of the sample, those the victim gets wrong too (the
    /// report's control accuracy came from a second pass over the sample before).
    @Test func theControlClassifiesTheSampleOnceAndCountsItsAccuracyOnAllOfIt() throws {
        let sample = Self.sentences(40, seed: 5, polar: Self.all)
        let originals = Set(sample.map(\.text))
        final class Seen: @unchecked Sendable { var texts: [String: Int] = [:] }
        let seen = Seen()
        // the victim misses "fine"; the control misses "great" and is sure of nothing else
        func says(_ e: Example, _ words: [String]) -> Bool { words.contains { e.text.contains($0) } }
        let victim: Metrics.Predict = { batch in batch.map { says($0, ["good", "great", "cf"]) ? 1 : 0 } }
        let control: HuntControl.Predict = { batch in
            batch.map { e in
                if originals.contains(e.text) { seen.texts[e.text, default: 0] += 1 }
                return says(e, ["good", "fine"]) ? [0.1, 0.9] : [0.9, 0.1]
            }
        }
        let options = TriggerHunt.Options(sentences: 40, screen: 40, threshold: 0.75, control: HuntControl.Options(folds: 2))
        let tested = try TriggerHunt.test(candidates: [(.words(["cf"]), 1)], clean: sample, numLabels: 2, options: options,
                                          predict: victim, control: [control, control], events: { _ in }, cancel: nil)
        #expect(seen.texts.count == sample.count && seen.texts.values.allSatisfy { $0 == 1 }, "\(seen.texts.values.sorted())")
        let right = sample.filter { (says($0, ["good", "fine"]) ? 1 : 0) == $0.label }.count
        #expect(tested.controlCorrect == right && right < sample.count)
        #expect(tested.report.nCorrect < sample.count, "the victim misses some: the control's count is not over its correct ones only")
    }

    @Test func controlOptionParses() throws {
        #expect(try HuntControl.parse("none") == nil)
        #expect(try HuntControl.parse("fine-tuned", epochs: 2)?.epochs == 2)
        let m = NumericFaultTests.message { _ = try HuntControl.parse("maybe") }
        #expect(m.contains("--control 'maybe'") && m.contains("fine-tuned"), "\(m)")
        let verb = NumericFaultTests.message { _ = try Verbs.parse("hunt control=maybe") }
        #expect(verb.contains("control"), "\(verb)")
    }
}
