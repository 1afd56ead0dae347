import Foundation

/// `data NAME|PATH ...`: the dataset and its seeded split.
struct DataVerb: Verb {
    static let verb = "data"
    static let usage = "data NAME|PATH [seed=1] [train=3000] [clean=64] [test=1000] [max-length=64]"
    static let summary = "choose the dataset and its seeded split into attacker-train, defender-clean pool and test"
    static let options = ["seed", "train", "clean", "test", "max-length"]
    static let arguments = 1...1

    var name: String
    var seed: UInt64
    var train: Int
    var clean: Int
    var test: Int
    var maxLength: Int

    init(_ c: Command) throws {
        name = c.arguments[0]
        seed = UInt64(try c.int("seed", default: 1, in: 0...Int.max))
        train = try c.int("train", default: 3000, in: 0...10_000_000)
        clean = try c.int("clean", default: 64, in: 1...10_000_000)
        test = try c.int("test", default: 1000, in: 1...10_000_000)
        maxLength = try c.int("max-length", default: 64, in: 8...512)
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        // The defender pool holds the clean set plus as much again held out (at least 64), the
        // clean data the automatic ρ rule judges on.
        let pool = clean + max(clean, 64)
        let dataset = try Datasets.load(name, cache: s.cache) { events(.log(.info, $0)) }
        if FileManager.default.fileExists(atPath: name) { s.loadedInputs["the data file"] = URL(fileURLWithPath: name) }
        let spec = SplitSpec(dataset: dataset.name, seed: seed, trainSize: train, cleanPoolSize: pool, testSize: test)
        let split = try spec.apply(to: dataset)
        s.data = SessionData(dataset: dataset, split: split, clean: Array(split.cleanPool.prefix(clean)),
                             heldOut: Array(split.cleanPool.dropFirst(clean)), maxLength: maxLength)
        return Session.Outcome(message: "data \(dataset.name): train \(split.train.count), clean \(clean) (+\(pool - clean) held out), test \(split.test.count)",
                               results: ["train": Double(split.train.count), "clean": Double(clean), "test": Double(split.test.count)],
                               inputs: Datasets.isBuiltin(name) ? [] : [try .of(URL(fileURLWithPath: name))])
    }
}
