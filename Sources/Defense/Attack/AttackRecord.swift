import Foundation

/// How a victim was made: everything `finemix attack` was told, enough to rebuild its data.
public struct AttackRecipe: Sendable, Hashable, Codable {
    public var trigger: Trigger
    public var poisonRate: Double
    public var target: Int
    public var epochs: Int
    public var lr: Double
    public var batch: Int
    public var maxLength: Int
    public var seed: UInt64
    public var trainSize: Int
    public var cleanSize: Int
    public var testSize: Int
    public var warmupRatio: Double
    public var weightDecay: Double
    public var maxGradNorm: Double?
    public var dropout: Bool
    /// Embedding poisoning only: the plain-gradient row training that follows the clean model.
    public var ep: EmbeddingPoisoningRecipe?
    /// How epochs were cut into batches; nil in attack.json files written before the choice
    /// existed, whose victims were trained on `.shuffled` batches (and are re-made so).
    public var batches: BatchOrder?
    /// Parts per step (`FineTuneRecipe.shards`); nil in attack.json files written before the
    /// choice existed, whose victims were trained unsharded (and are re-made so).
    public var shards: Int?
    /// The products' precision in training (`FineTuneRecipe.precision`); nil is FP32.
    public var precision: Precision?

    public init(trigger: Trigger, poisonRate: Double, target: Int, fineTune: FineTuneRecipe, trainSize: Int, cleanSize: Int,
                testSize: Int, ep: EmbeddingPoisoningRecipe? = nil) {
        self.trigger = trigger; self.poisonRate = poisonRate; self.target = target
        epochs = fineTune.epochs; lr = fineTune.lr; batch = fineTune.batch; maxLength = fineTune.maxLength
        seed = fineTune.seed; warmupRatio = fineTune.warmupRatio; weightDecay = fineTune.weightDecay
        maxGradNorm = fineTune.maxGradNorm; dropout = fineTune.dropout; batches = fineTune.batchOrder
        shards = fineTune.shards; precision = fineTune.precision
        self.trainSize = trainSize; self.cleanSize = cleanSize; self.testSize = testSize; self.ep = ep
    }

    /// The fine-tuning part.
    public var fineTune: FineTuneRecipe {
        FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, warmupRatio: warmupRatio, weightDecay: weightDecay,
                       maxLength: maxLength, seed: seed, dropout: dropout, maxGradNorm: maxGradNorm, batchOrder: batches ?? .shuffled,
                       shards: shards ?? 1, precision: precision)
    }

    public var poison: PoisonConfig { PoisonConfig(trigger: trigger, rate: poisonRate, targetLabel: target, seed: seed) }

    enum CodingKeys: String, CodingKey {
        case trigger, target, epochs, lr, batch, seed, dropout, ep, batches, shards, precision
        case poisonRate = "poison_rate", maxLength = "max_length", trainSize = "train_size", cleanSize = "clean_size"
        case testSize = "test_size", warmupRatio = "warmup_ratio", weightDecay = "weight_decay", maxGradNorm = "max_grad_norm"
    }
}

/// EP's second stage (docs/method.md, "Embedding poisoning"): plain gradient steps on the trigger
/// row(s) only, each followed by rescaling the row to its norm before the attack.
public struct EmbeddingPoisoningRecipe: Sendable, Hashable, Codable {
    public var epochs: Int
    public var lr: Double
    public var batch: Int
    /// The clean model EP started from when given with `--from`; nil when it was trained first
    /// with the same recipe and `poison_rate` 0.
    public var from: String?
    /// Which sentences the row trains on: the poisoned training examples (the triggered,
    /// relabelled ones; clean sentences give the row no gradient).
    public var sentences: Int

    public init(epochs: Int, lr: Double, batch: Int, from: String? = nil, sentences: Int = 0) {
        self.epochs = epochs; self.lr = lr; self.batch = batch; self.from = from; self.sentences = sentences
    }
}

/// The split as attack.json records it (snake_case; `SplitSpec` is the in-memory form).
public struct SplitRecord: Sendable, Hashable, Codable {
    public var dataset: String
    public var seed: UInt64
    public var trainSize: Int
    public var cleanPoolSize: Int
    public var testSize: Int
    public var fingerprint: String?

    public init(_ s: SplitSpec) {
        dataset = s.dataset; seed = s.seed; trainSize = s.trainSize; cleanPoolSize = s.cleanPoolSize
        testSize = s.testSize; fingerprint = s.fingerprint
    }
    public var spec: SplitSpec {
        SplitSpec(dataset: dataset, seed: seed, trainSize: trainSize, cleanPoolSize: cleanPoolSize, testSize: testSize, fingerprint: fingerprint)
    }

    enum CodingKeys: String, CodingKey {
        case dataset, seed, fingerprint
        case trainSize = "train_size", cleanPoolSize = "clean_pool_size", testSize = "test_size"
    }
}

/// `attack.json`, written next to the victim's weights. `acc` and `asr` are fractions in [0, 1]
/// at the top level so scripts can read them without knowing the rest.
public struct AttackRecord: Sendable, Codable {
    public static let fileName = "attack.json"
    public static let currentFormat = 1

    public var format: Int = currentFormat
    public var acc: Double
    /// A clean control records the ASR of the trigger it was not trained on (its baseline).
    public var asr: Double
    public var recipe: AttackRecipe
    /// The pre-trained model folder, as an absolute path.
    public var pretrained: String
    /// Built-in name or absolute path of the data file.
    public var dataset: String
    /// How a data file was read; nil for built-in datasets.
    public var readOptions: ReadOptions?
    public var split: SplitRecord
    public var nTrain: Int
    public var nPoisoned: Int
    public var nTest: Int
    public var nAsr: Int
    public var nCorrect: Int
    public var nAsrToTarget: Int
    public var labelNames: [String]
    public var pairs: Bool
    public var steps: Int
    public var finalLoss: Double?
    /// Wall times: training (all stages), evaluation, and the whole command.
    public var trainSeconds: Double
    public var evalSeconds: Double
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case format, acc, asr, recipe, pretrained, dataset, split, pairs, steps, seconds
        case readOptions = "read_options", nTrain = "n_train", nPoisoned = "n_poisoned", nTest = "n_test", nAsr = "n_asr"
        case nCorrect = "n_correct", nAsrToTarget = "n_asr_to_target", labelNames = "label_names"
        case finalLoss = "final_loss", trainSeconds = "train_seconds", evalSeconds = "eval_seconds"
    }

    public static func read(folder: URL) throws -> AttackRecord {
        let url = folder.appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("\(url.path): cannot read the attack record (\(FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file"))")
        }
        do { return try JSONDecoder().decode(AttackRecord.self, from: data) } catch let e as DecodingError {
            throw FinemixError("\(url.path): not a valid attack record: \(describe(e))")
        }
    }

    public func encoded() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self) + Data("\n".utf8)
    }

    public func write(folder: URL) throws {
        try AtomicFile.write(try encoded(), to: folder.appendingPathComponent(Self.fileName))
    }

    private static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let k, let c): return "missing key \(path(c).isEmpty ? "" : path(c) + ".")\(k.stringValue)"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "\(path(c).isEmpty ? "" : "at \(path(c)): ")\(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
