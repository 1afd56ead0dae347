import Foundation

/// Choosing the data and the trigger ASR is measured with.
extension Session {
    func useData(_ c: Command, events: EventSink) throws -> Outcome {
        let a = try DataArguments(c)
        let (name, seed, train, cleanSize, test, maxLength) = (a.name, a.seed, a.train, a.clean, a.test, a.maxLength)
        // The defender pool holds the clean set plus as much again held out (at least 64), the
        // clean data the automatic ρ rule judges on.
        let pool = cleanSize + max(cleanSize, 64)
        let dataset = try Datasets.load(name, cache: cache) { events(.log(.info, $0)) }
        if FileManager.default.fileExists(atPath: name) { loadedInputs["the data file"] = URL(fileURLWithPath: name) }
        let spec = SplitSpec(dataset: dataset.name, seed: seed, trainSize: train, cleanPoolSize: pool, testSize: test)
        let split = try spec.apply(to: dataset)
        data = SessionData(dataset: dataset, split: split, clean: Array(split.cleanPool.prefix(cleanSize)),
                           heldOut: Array(split.cleanPool.dropFirst(cleanSize)), maxLength: maxLength)
        return Outcome(message: "data \(dataset.name): train \(split.train.count), clean \(cleanSize) (+\(pool - cleanSize) held out), test \(split.test.count)",
                       results: ["train": Double(split.train.count), "clean": Double(cleanSize), "test": Double(split.test.count)],
                       inputs: Datasets.isBuiltin(name) ? [] : [try .of(URL(fileURLWithPath: name))])
    }

    func setTrigger(_ c: Command) throws -> Outcome {
        let trigger = try TriggerArguments(c).trigger
        var config = poison ?? PoisonConfig(trigger: trigger, seed: 1)
        config.trigger = trigger
        poison = config
        return Outcome(message: "ASR is measured with trigger \(trigger), target label \(config.targetLabel)")
    }

    /// The test set with the trigger inserted, for ASR; nil when no trigger is known.
    func asrSet() throws -> [Example]? {
        guard let poison, let data else { return nil }
        return try Poisoner.asrTestSet(data.split.test, config: poison, numLabels: data.dataset.numLabels)
    }
}
