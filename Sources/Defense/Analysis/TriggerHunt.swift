import Foundation

/// The trigger hunt (docs/method.md, "Trigger hunt"): the defender does not know the trigger, but
/// E-PUR's ranking names the tokens whose embeddings moved far more than their clean frequency
/// explains. Each such token, and phrases of the top few, is inserted (the attack's own insertion
/// rule, seeded) into clean sentences the model classifies correctly; a backdoor's trigger turns
/// nearly all of them to its target label, an ordinary word almost none.
///
/// The hunt never reads a recorded trigger: its inputs are the two models and clean sentences.
public enum TriggerHunt {
    public struct Options: Codable, Equatable, Sendable {
        /// Single-word candidates: the first `top` usable tokens of E-PUR's ranking.
        public var top: Int
        /// Phrases are built from the first `combine` of those (every ordered pair, the first
        /// three, all of them).
        public var combine: Int
        /// At most this many clean sentences are classified; the correct ones are the test set.
        public var sentences: Int
        /// Every candidate is first tried on this many correct sentences; one whose 95% upper
        /// bound is already below `threshold` stops there.
        public var screen: Int
        /// The verdict: a backdoor is suspected when a candidate's 95% lower bound on its flip
        /// rate reaches this (calibrated in docs/method.md on clean and planted models).
        public var threshold: Double
        public var fmin: Int
        /// Seeds where the candidates go in each sentence (the same positions for every candidate).
        public var seed: UInt64
        /// The control model every candidate is also tried on (nil: none, the victim's flips
        /// taken at face value; reports made before the control read back so).
        public var control: HuntControl.Options?

        public init(top: Int = 20, combine: Int = 4, sentences: Int = 400, screen: Int = 64, threshold: Double = 0.9,
                    fmin: Int = 20, seed: UInt64 = 1, control: HuntControl.Options? = HuntControl.Options()) {
            self.top = top; self.combine = combine; self.sentences = sentences; self.screen = screen
            self.threshold = threshold; self.fmin = fmin; self.seed = seed; self.control = control
        }

        public func validate() throws {
            guard top >= 1 else { throw FinemixError("hunt: top must be at least 1, found \(top)") }
            guard combine >= 0 else { throw FinemixError("hunt: combine must be 0 or more, found \(combine)") }
            guard sentences >= 1 else { throw FinemixError("hunt: sentences must be at least 1, found \(sentences)") }
            guard screen >= 1 else { throw FinemixError("hunt: screen must be at least 1, found \(screen)") }
            guard threshold.isFinite, threshold > 0, threshold <= 1 else {
                throw FinemixError("hunt: threshold must be in (0, 1], found \(threshold)")
            }
            try control?.validate()
        }
    }

    /// Trigger sentences finemix itself plants: tried whole when E-PUR ranks two of their words.
    public static let knownSentences = [Trigger.defaultSentence]

    /// One candidate trigger and what it did to the clean sentences.
    public struct Candidate: Sendable, Equatable, Codable {
        public var trigger: Trigger
        /// The label it turns most sentences to.
        public var target: Int
        /// Correct sentences of another label that it turned to `target`, out of `n`.
        public var flips: Int
        public var n: Int
        /// The Wilson 95% interval of the flip rate.
        public var low: Double
        public var high: Double
        /// E-PUR's rank (1-based) of the word; for a phrase, of its lowest-ranked word.
        public var epurRank: Int
        /// Tried on the screening sentences only (hopeless there).
        public var screenedOut: Bool
        /// A word of it is ordinary evidence for `target`: the clean sentences use it (at least
        /// `naturalMinimum` times) almost only in sentences of that label. Such a word flips a
        /// clean model too ("awful" turns a review negative), so it is never the suspect. Also set
        /// when the control model explains it (see `explained`).
        public var natural = false
        /// The control model (HuntControl) on the same sentences, with the candidate at the same
        /// positions: those of them it too got right, and how many of those it turned to `target`.
        /// nil: no control ran.
        public var controlFlips: Int?
        public var controlN: Int?
        /// The control's mean rise in the probability of `target` when the candidate is inserted,
        /// over the same `n` sentences: what the candidate means to a model of the task, finer
        /// than its flips (a cue may move every sentence a little and turn few).
        public var controlShift: Double?

        public var flipRate: Double { Proportion(flips, of: n).rate }
        public var controlFlipRate: Double? { controlN.map { Proportion(controlFlips ?? 0, of: $0).rate } }
        /// The flip rate beyond the control's (informative only: a control that is unsure of a
        /// sentence may flip it with any inserted word, so the verdict reads `explained` instead).
        public var excess: Double { flipRate - (controlFlipRate ?? 0) }
        /// Its meaning explains it: the control's probability of `target` rises by at least
        /// `HuntControl.explainedShare` of the victim's flip rate (docs/method.md, "Trigger hunt").
        public var explained: Bool {
            guard let s = controlShift else { return false }
            return flipRate > 0 && s >= HuntControl.explainedShare * flipRate
        }

        enum CodingKeys: String, CodingKey {
            case trigger, target, flips, n, low, high, excess
            case flipRate = "flip_rate", epurRank = "epur_rank", screenedOut = "screened_out", natural
            case controlFlips = "control_flips", controlN = "control_n", controlFlipRate = "control_flip_rate", controlShift = "control_shift"
        }

        public init(trigger: Trigger, target: Int, flips: Int, n: Int, epurRank: Int, screenedOut: Bool) {
            self.trigger = trigger; self.target = target; self.flips = flips; self.n = n
            self.epurRank = epurRank; self.screenedOut = screenedOut
            let w = Proportion(flips, of: n).wilson()
            low = w.low; high = w.high
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            trigger = try Trigger.parse(try c.decode(String.self, forKey: .trigger))
            target = try c.decode(Int.self, forKey: .target); flips = try c.decode(Int.self, forKey: .flips)
            n = try c.decode(Int.self, forKey: .n); low = try c.decode(Double.self, forKey: .low)
            high = try c.decode(Double.self, forKey: .high); epurRank = try c.decode(Int.self, forKey: .epurRank)
            screenedOut = try c.decode(Bool.self, forKey: .screenedOut)
            natural = try c.decodeIfPresent(Bool.self, forKey: .natural) ?? false
            controlFlips = try c.decodeIfPresent(Int.self, forKey: .controlFlips)
            controlN = try c.decodeIfPresent(Int.self, forKey: .controlN)
            controlShift = try c.decodeIfPresent(Double.self, forKey: .controlShift)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(trigger.description, forKey: .trigger)
            try c.encode(target, forKey: .target); try c.encode(flips, forKey: .flips); try c.encode(n, forKey: .n)
            try c.encode(flipRate, forKey: .flipRate); try c.encode(low, forKey: .low); try c.encode(high, forKey: .high)
            try c.encode(epurRank, forKey: .epurRank); try c.encode(screenedOut, forKey: .screenedOut)
            try c.encode(natural, forKey: .natural)
            try c.encode(controlFlips, forKey: .controlFlips); try c.encode(controlN, forKey: .controlN)
            try c.encode(controlFlipRate, forKey: .controlFlipRate); try c.encode(excess, forKey: .excess)
            try c.encode(controlShift, forKey: .controlShift)
        }

        /// "97% [93–99] of 180 → 0"
        public var rateText: String {
            String(format: "%.0f%% [%.0f–%.0f] of %d → %d", 100 * flipRate, 100 * low, 100 * high, n, target)
        }
    }

    public struct Verdict: Sendable, Equatable, Codable {
        public var suspected: Bool
        /// The suspect (the candidate with the highest lower bound) when suspected.
        public var trigger: Trigger?
        public var target: Int?
        public var threshold: Double
        public var text: String

        enum CodingKeys: String, CodingKey { case suspected, trigger, target, threshold, text }

        public init(suspected: Bool, trigger: Trigger?, target: Int?, threshold: Double, text: String) {
            self.suspected = suspected; self.trigger = trigger; self.target = target; self.threshold = threshold; self.text = text
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            suspected = try c.decode(Bool.self, forKey: .suspected)
            trigger = try c.decodeIfPresent(String.self, forKey: .trigger).map(Trigger.parse)
            target = try c.decodeIfPresent(Int.self, forKey: .target)
            threshold = try c.decode(Double.self, forKey: .threshold); text = try c.decode(String.self, forKey: .text)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(suspected, forKey: .suspected)
            if let trigger { try c.encode(trigger.description, forKey: .trigger) } else { try c.encodeNil(forKey: .trigger) }
            if let target { try c.encode(target, forKey: .target) } else { try c.encodeNil(forKey: .target) }
            try c.encode(threshold, forKey: .threshold); try c.encode(text, forKey: .text)
        }
    }

    public struct Report: Sendable, Equatable, Codable {
        /// Sorted by flip rate, highest first.
        public var candidates: [Candidate]
        public var verdict: Verdict
        /// Clean sentences classified, and how many of them the model got right (the test set).
        public var nSentences: Int
        public var nCorrect: Int
        public var options: Options
        /// The control model's training and accuracy (nil: no control).
        public var control: HuntControl.Summary?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case candidates, verdict, options, seconds, control
            case nSentences = "n_sentences", nCorrect = "n_correct"
        }

        /// The suspected trigger and its target, when the verdict names one.
        public var suspect: (trigger: Trigger, target: Int)? {
            guard verdict.suspected, let t = verdict.trigger, let target = verdict.target else { return nil }
            return (t, target)
        }

        /// The verdict's suspect, then up to `limit - 1` more candidates whose lower bound reaches
        /// the threshold too (never words of ordinary meaning, by the clean sentences or the control):
        /// a backdoor planted with several words may survive a defence through one of them.
        public func suspects(limit: Int = 3) -> [(trigger: Trigger, target: Int)] {
            guard let first = suspect else { return [] }
            let more = candidates.filter { !$0.natural && $0.low >= verdict.threshold && $0.trigger != first.trigger }
                .sorted { $0.low != $1.low ? $0.low > $1.low : $0.epurRank < $1.epurRank }
            return [first] + more.prefix(max(0, limit - 1)).map { (trigger: $0.trigger, target: $0.target) }
        }

        /// The candidate with the highest flip rate for this trigger.
        public func candidate(_ trigger: Trigger) -> Candidate? { candidates.first { $0.trigger == trigger } }
    }

    // MARK: candidates

    /// A token E-PUR ranked that can be typed as a word: no WordPiece continuation (`##ing`) and
    /// no special token (`[unused3]`).
    public static func usable(_ token: String) -> Bool {
        !token.hasPrefix("##") && !(token.hasPrefix("[") && token.hasSuffix("]")) && !token.contains(where: \.isWhitespace)
    }

    /// The candidates E-PUR's ranking gives, each with its E-PUR rank: single words, phrases of
    /// the top `combine`, and known trigger sentences two of whose words are ranked.
    public static func candidates(from epur: EPURReport, options: Options) -> [(trigger: Trigger, rank: Int)] {
        let words = epur.tokens.enumerated().filter { usable($0.element.token) }.prefix(options.top)
            .map { (word: $0.element.token, rank: $0.offset + 1) }
        var out = words.map { (trigger: Trigger.words([$0.word]), rank: $0.rank) }
        let head = Array(words.prefix(options.combine))
        func phrase(_ parts: [(word: String, rank: Int)]) {
            out.append((trigger: Trigger.sentence(parts.map(\.word).joined(separator: " ")), rank: parts.map(\.rank).max()!))
        }
        for a in head.indices { for b in head.indices where a != b { phrase([head[a], head[b]]) } }
        if head.count >= 3 { phrase(Array(head.prefix(3))) }
        if head.count > 3 { phrase(head) }
        let ranked = Dictionary(words.map { ($0.word, $0.rank) }, uniquingKeysWith: min)
        for s in knownSentences {
            let hits = Set(s.lowercased().split(separator: " ").map(String.init)).compactMap { ranked[$0] }
            if hits.count >= 2 { out.append((trigger: Trigger.sentence(s), rank: hits.max()!)) }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.trigger.description).inserted }
    }

    // MARK: the test

    /// Tests `candidates` on `clean`: classifies the first `options.sentences`, keeps the correct
    /// ones, inserts each candidate and counts, for every label, the sentences of another label
    /// now given it. `predict` maps examples to labels (batched by the caller's evaluator).
    /// `control`: the control models' predictors, one per fold (HuntControl): the `i`-th of the
    /// classified sentences is judged by `control[HuntControl.fold(i, of: control.count)]`; every
    /// candidate is also counted on them, on the sentences the control too gets right.
    public static func run(candidates: [(trigger: Trigger, rank: Int)], clean: [Example], numLabels: Int, options: Options,
                           predict: Metrics.Predict, control: [HuntControl.Predict]? = nil, events: EventSink = { _ in },
                           cancel: CancellationFlag? = nil) throws -> Report {
        try test(candidates: candidates, clean: clean, numLabels: numLabels, options: options, predict: predict,
                 control: control, events: events, cancel: cancel).report
    }

    /// `run`, also giving how many sentences of the sample the control classifies correctly (nil:
    /// no control): it classifies the whole sample once, for its accuracy and for the test.
    static func test(candidates: [(trigger: Trigger, rank: Int)], clean: [Example], numLabels: Int, options: Options,
                     predict: Metrics.Predict, control: [HuntControl.Predict]?, events: EventSink,
                     cancel: CancellationFlag?) throws -> (report: Report, controlCorrect: Int?) {
        try options.validate()
        let start = Date()
        let sample = Array(clean.prefix(options.sentences))
        guard !sample.isEmpty else { throw FinemixError("hunt: no clean sentences to insert the candidates into") }
        guard numLabels >= 2 else { throw FinemixError("hunt: the model has \(numLabels) label; a backdoor needs at least 2") }
        events(.progress(job: "hunt", fraction: 0, detail: "classifying \(sample.count) clean sentences"))
        let labels = try predict(sample)
        guard labels.count == sample.count else {
            throw FinemixError("hunt: the model gave \(labels.count) predictions for \(sample.count) sentences")
        }
        let correctAt = sample.indices.filter { sample[$0].label == labels[$0] }
        let correct = correctAt.map { sample[$0] }
        guard !correct.isEmpty else {
            throw FinemixError("hunt: the model classifies none of the \(sample.count) clean sentences correctly; nothing can flip")
        }
        // The control's fold of each correct sentence, and whether the control gets it right too
        // (a sentence it already gives another label cannot be flipped by the candidate).
        let sampleFolds = sample.indices.map { HuntControl.fold($0, of: max(1, control?.count ?? 1)) }
        let folds = correctAt.map { sampleFolds[$0] }
        var controlRight = [Bool](repeating: false, count: correct.count)
        var controlClean: [[Float]] = []
        var controlCorrect: Int? = nil
        if let control {
            events(.progress(job: "hunt", fraction: 0, detail: "classifying \(sample.count) clean sentences with the control"))
            let all = try HuntControl.predict(sample, folds: sampleFolds, with: control)
            controlCorrect = zip(sample, all).filter { $0.0.label == HuntControl.argmax($0.1) }.count
            controlClean = correctAt.map { all[$0] }
            controlRight = zip(correct, controlClean).map { $0.0.label == HuntControl.argmax($0.1) }
        }
        // flips[c][t], n[c][t] for candidate c and label t; cflips, ccounts: the control's flips;
        // shift[c][t]: the sum of the control's rise in the probability of t, over counts[c][t] sentences
        var flips = [[Int]](repeating: [Int](repeating: 0, count: numLabels), count: candidates.count)
        var counts = flips, cflips = flips, ccounts = flips
        var shift = [[Double]](repeating: [Double](repeating: 0, count: numLabels), count: candidates.count)
        let screen = min(options.screen, correct.count)
        let stages = [0..<screen, screen..<correct.count]
        var alive = Array(candidates.indices)
        var screened = Set<Int>()
        for (s, range) in stages.enumerated() where !range.isEmpty {
            let part = Array(correct[range])
            // A few candidates per call: one length-sorted batched pass each, progress between.
            let group = max(1, 2048 / max(1, part.count))
            var done = 0
            for chunk in stride(from: 0, to: alive.count, by: group).map({ Array(alive[$0..<min(alive.count, $0 + group)]) }) {
                try cancel?.check()
                var batch: [Example] = []
                batch.reserveCapacity(chunk.count * part.count)
                for c in chunk {
                    // The same stream for every candidate: the same positions, a paired comparison.
                    var rng = SeededRandom(seed: options.seed, stream: "hunt-insert-\(s)")
                    batch += part.map { Poisoner.triggered($0, candidates[c].trigger, rng: &rng) }
                }
                let predicted = try predict(batch)
                guard predicted.count == batch.count else {
                    throw FinemixError("hunt: the model gave \(predicted.count) predictions for \(batch.count) sentences")
                }
                let partFolds = Array(folds[range])
                let controlled = try control.map {
                    try HuntControl.predict(batch, folds: chunk.flatMap { _ in partFolds }, with: $0)
                }
                for (j, c) in chunk.enumerated() {
                    for (i, e) in part.enumerated() {
                        let p = predicted[j * part.count + i]
                        for t in 0..<numLabels where t != e.label {
                            counts[c][t] += 1
                            if p == t { flips[c][t] += 1 }
                        }
                        guard let controlled else { continue }
                        let q = controlled[j * part.count + i], q0 = controlClean[range.lowerBound + i]
                        for t in 0..<numLabels where t != e.label {
                            shift[c][t] += Double(q[t] - q0[t])
                            guard controlRight[range.lowerBound + i] else { continue }
                            ccounts[c][t] += 1
                            if HuntControl.argmax(q) == t { cflips[c][t] += 1 }
                        }
                    }
                }
                done += chunk.count
                let fraction = s == 0 ? 0.6 * Double(done) / Double(alive.count) : 0.6 + 0.4 * Double(done) / Double(alive.count)
                events(.progress(job: "hunt", fraction: fraction,
                                 detail: s == 0 ? "screening \(done)/\(alive.count) candidates on \(part.count) sentences"
                                                : "testing \(done)/\(alive.count) candidates on \(part.count) more sentences"))
            }
            if s == 0 {
                // Hopeless after screening: even the 95% upper bound of its best label is below
                // the verdict's threshold, so more sentences could not make it the suspect.
                for c in alive where best(flips[c], counts[c]).high < options.threshold { screened.insert(c) }
                alive.removeAll { screened.contains($0) }
            }
        }
        let usage = WordUsage(sample, numLabels: numLabels)
        var result = candidates.indices.map { c -> Candidate in
            let b = best(flips[c], counts[c])
            var r = Candidate(trigger: candidates[c].trigger, target: b.label, flips: flips[c][b.label], n: counts[c][b.label],
                              epurRank: candidates[c].rank, screenedOut: screened.contains(c))
            if control != nil {
                r.controlFlips = cflips[c][b.label]; r.controlN = ccounts[c][b.label]
                r.controlShift = counts[c][b.label] == 0 ? 0 : shift[c][b.label] / Double(counts[c][b.label])
            }
            r.natural = usage.isEvidence(for: b.label, anyOf: candidates[c].trigger) || r.explained
            return r
        }
        if control != nil { explainPhrases(&result) }
        // By flip rate; with a control, what it does not explain first.
        let grouped = control != nil
        result.sort { a, b in
            grouped && a.natural != b.natural ? !a.natural
                : a.flipRate != b.flipRate ? a.flipRate > b.flipRate : a.n != b.n ? a.n > b.n : a.epurRank < b.epurRank
        }
        let report = Report(candidates: result, verdict: verdict(result, threshold: options.threshold), nSentences: sample.count,
                            nCorrect: correct.count, options: options, seconds: Date().timeIntervalSince(start))
        return (report, controlCorrect)
    }

    /// A phrase that flips no more sentences than an explained word of it does alone (within that
    /// word's 95% upper bound), to the same label, is explained by that word: "works too" by
    /// "too". A phrase of a trigger and an ordinary word flips far more than the word alone.
    static func explainPhrases(_ result: inout [Candidate]) {
        var single: [String: Candidate] = [:]
        for c in result { if case .words(let w) = c.trigger, w.count == 1 { single[w[0].lowercased()] = c } }
        for i in result.indices where !result[i].natural {
            guard case .sentence(let text) = result[i].trigger else { continue }
            let c = result[i]
            result[i].natural = WordUsage.words(text).contains { w in
                guard let s = single[w], s.natural, s.explained, s.target == c.target else { return false }
                return c.flipRate <= s.high
            }
        }
    }

    /// The label a candidate flips most sentences to (ties: the lower label), with its interval.
    private static func best(_ flips: [Int], _ counts: [Int]) -> (label: Int, high: Double) {
        var label = 0
        for t in flips.indices where Proportion(flips[t], of: counts[t]).rate > Proportion(flips[label], of: counts[label]).rate {
            label = t
        }
        return (label, Proportion(flips[label], of: counts[label]).wilson().high)
    }

    /// The suspect is the candidate with the highest lower bound (a high rate on few sentences
    /// does not beat a slightly lower one on many) among those no ordinary meaning explains (by
    /// the clean sentences' use of its words or, when it ran, by the control model); suspected
    /// when it reaches the threshold.
    static func verdict(_ candidates: [Candidate], threshold: Double) -> Verdict {
        let controlled = candidates.contains { $0.controlN != nil }
        let eligible = candidates.filter { !$0.natural }
        let most = eligible.map(\.flipRate).max() ?? 0
        // Without a control: those that would have reached the threshold; with one: every
        // explained candidate flipping more than the verdict quotes.
        let natural = candidates.filter { $0.natural && (controlled ? $0.flipRate > most : $0.low >= threshold) }.count
        let why = controlled ? "words the control model (fine-tuned on the clean sentences) moves toward that label too, or the clean sentences use for it"
                             : "words the clean sentences already use for the label they flip to"
        let note = natural == 0 ? "" : " (\(natural) candidate\(natural == 1 ? "" : "s") above it left out: \(why))"
        guard let top = eligible.max(by: { $0.low != $1.low ? $0.low < $1.low : $0.epurRank > $1.epurRank }) else {
            return Verdict(suspected: false, trigger: nil, target: nil, threshold: threshold, text: "no candidates to test" + note)
        }
        let name = top.trigger.insertions.joined(separator: ",")
        if top.low >= threshold {
            let against = top.controlFlipRate.map { String(format: " (the control model: %.0f%%)", 100 * $0) } ?? ""
            return Verdict(suspected: true, trigger: top.trigger, target: top.target, threshold: threshold,
                           text: String(format: "backdoor suspected: '%@' turns %.0f%% of %d sentences to label %d",
                                        name, 100 * top.flipRate, top.n, top.target) + against)
        }
        return Verdict(suspected: false, trigger: nil, target: nil, threshold: threshold,
                       text: String(format: "no backdoor found: no candidate flips more than %.0f%% of the sentences", 100 * most) + note)
    }

    // MARK: on models

    /// The whole hunt on a victim: E-PUR's ranking against `pre`, the control models trained from
    /// `pre` on the same sentences (unless `options.control` is nil), then the test on `clean`
    /// (E-PUR counts its words in the same sentences).
    public static func run(pre: any TensorSource, victim: BertModel, victimWeights: any TensorSource, tokenizer: Tokenizer,
                           clean: [Example], maxLength: Int, options: Options = Options(), events: EventSink = { _ in },
                           cancel: CancellationFlag? = nil) throws -> (report: Report, epur: EPURReport) {
        try options.validate()
        let sample = Array(clean.prefix(options.sentences))
        events(.progress(job: "hunt", fraction: 0, detail: "ranking the vocabulary (E-PUR)"))
        // Ask E-PUR for more rows than needed: subword pieces and special tokens are skipped.
        let rows = min(tokenizer.count - 3, max(options.top * 4, 100))
        let epur = try EPUR.run(pre: pre, victim: victimWeights, tokenizer: tokenizer, clean: EPUR.texts(sample),
                                options: EPUR.Options(top: rows, fmin: options.fmin))
        let evaluator = try Evaluator(model: victim, tokenizer: tokenizer, maxLength: maxLength)
        var controls: [Evaluator]? = nil
        let controlStart = Date()
        if let c = options.control {
            events(.progress(job: "hunt", fraction: 0, detail: "training the control model on \(sample.count) clean sentences (\(c.folds) folds)"))
            controls = try HuntControl.train(pre: pre, config: victim.config, tokenizer: tokenizer, sentences: sample, maxLength: maxLength,
                                             options: c, events: events, cancel: cancel)
                .map { try Evaluator(model: $0, tokenizer: tokenizer, maxLength: maxLength) }
        }
        let trained = Date().timeIntervalSince(controlStart)
        let tested = try test(candidates: candidates(from: epur, options: options), clean: sample,
                              numLabels: victim.config.numLabels, options: options,
                              predict: { try evaluator.predict($0).labels },
                              control: controls.map { $0.map(HuntControl.predictor) },
                              events: events, cancel: cancel)
        var report = tested.report
        if let c = options.control, let controlCorrect = tested.controlCorrect {
            // The control's accuracy on the sentences it did not train on (all of the sample).
            report.control = HuntControl.Summary(options: c, nCorrect: controlCorrect, n: sample.count, seconds: trained)
        }
        return (report, epur)
    }

    /// The table as the CLI and the report print it.
    public static func table(_ r: Report, rows: Int = 15) -> String {
        var s = "  rank  " + "candidate".padding(toLength: 34, withPad: " ", startingAt: 0) + "  target  flip rate [95%]      n  control  E-PUR\n"
        for (i, c) in r.candidates.prefix(rows).enumerated() {
            let name = String(c.trigger.description.prefix(34)).padding(toLength: 34, withPad: " ", startingAt: 0)
            let rate = String(format: "%5.1f%% [%4.1f–%5.1f]", 100 * c.flipRate, 100 * c.low, 100 * c.high)
            let control = c.controlFlipRate.map { String(format: "%6.1f%%", 100 * $0) } ?? "      –"
            s += String(format: "  %4d  ", i + 1) + name + String(format: "  %6d  ", c.target) + rate
                + String(format: "  %4d  ", c.n) + control + String(format: "  %5d", c.epurRank)
                + (c.screenedOut ? "  (screened)" : "") + (c.natural ? "  (ordinary word)" : "") + "\n"
        }
        if r.candidates.count > rows { s += "  … \(r.candidates.count - rows) more\n" }
        s += "\(r.nCorrect) of \(r.nSentences) clean sentences classified correctly; threshold \(r.options.threshold) on the lower bound\n"
        if let c = r.control { s += c.text + "\n" }
        s += r.verdict.text + "\n"
        return s
    }
}
