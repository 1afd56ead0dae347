/// How the attacker poisons (docs/method.md, "Attacks"). Recorded in attack.json.
public struct PoisonConfig: Sendable, Hashable, Codable {
    public var trigger: Trigger
    /// Fraction of the *training set size* that is poisoned (0 trains a clean control).
    public var rate: Double
    public var targetLabel: Int
    public var seed: UInt64

    public init(trigger: Trigger = .default, rate: Double = 0.1, targetLabel: Int = 1, seed: UInt64) {
        self.trigger = trigger
        self.rate = rate
        self.targetLabel = targetLabel
        self.seed = seed
    }
}

public struct PoisonedSet: Sendable {
    /// The training set with the poisoned examples replaced in place (same size and order).
    public let examples: [Example]
    /// Their positions, ascending.
    public let poisonedIndices: [Int]
    public var poisonedCount: Int { poisonedIndices.count }
}

public enum Poisoner {
    /// round(rate × N) examples whose label is not the target are chosen at random, get the
    /// trigger (in the second sentence for pairs), and are relabelled to the target.
    public static func poison(_ train: [Example], config: PoisonConfig, numLabels: Int) throws -> PoisonedSet {
        try validate(config, numLabels: numLabels)
        let want = poisonCount(trainSize: train.count, rate: config.rate)
        let candidates = train.indices.filter { train[$0].label != config.targetLabel }
        guard want <= candidates.count else {
            throw FinemixError("poison rate \(config.rate) of \(train.count) training examples needs \(want) examples whose label is not the target \(config.targetLabel), but there are only \(candidates.count)")
        }
        var pick = SeededRandom(seed: config.seed, stream: "poison-pick")
        var insert = SeededRandom(seed: config.seed, stream: "poison-insert")
        let chosen = Array(pick.shuffled(candidates).prefix(want)).sorted()
        var out = train
        for i in chosen {
            out[i] = triggered(train[i], config.trigger, rng: &insert)
            out[i].label = config.targetLabel
        }
        return PoisonedSet(examples: out, poisonedIndices: chosen)
    }

    /// The ASR test set: every test example whose true label is not the target, with the trigger
    /// inserted by the same rule as in training. Labels are kept (the true labels); ASR counts
    /// how many of these the model assigns to the target.
    public static func asrTestSet(_ test: [Example], config: PoisonConfig, numLabels: Int) throws -> [Example] {
        try validate(config, numLabels: numLabels)
        var rng = SeededRandom(seed: config.seed, stream: "asr-insert")
        return test.filter { $0.label != config.targetLabel }.map { triggered($0, config.trigger, rng: &rng) }
    }

    public static func poisonCount(trainSize: Int, rate: Double) -> Int {
        Int((rate * Double(trainSize)).rounded())
    }

    /// The trigger goes into the second sentence of a pair, into the text otherwise.
    public static func triggered(_ e: Example, _ trigger: Trigger, rng: inout SeededRandom) -> Example {
        var out = e
        if let pair = e.pair {
            out.pair = trigger.insert(into: pair, rng: &rng)
        } else {
            out.text = trigger.insert(into: e.text, rng: &rng)
        }
        return out
    }

    static func validate(_ config: PoisonConfig, numLabels: Int) throws {
        guard config.rate.isFinite, config.rate >= 0, config.rate <= 1 else {
            throw FinemixError("poison rate \(config.rate) is not a fraction in [0, 1]")
        }
        guard config.targetLabel >= 0, config.targetLabel < numLabels else {
            throw FinemixError("target label \(config.targetLabel) is not a class of this dataset (0..<\(numLabels))")
        }
    }
}
