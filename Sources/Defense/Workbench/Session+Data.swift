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

    /// A victim's attack.json names its data split: loading the victim loads it too, unless the
    /// session already works on that very split (the `attack` verb's own victim). The clean set
    /// keeps the session's size (64 without one); the rest of the recorded pool is held out.
    func useRecordedData(_ record: AttackRecord, events: EventSink) throws {
        let spec = record.split.spec
        if let d = data, d.dataset.name == spec.dataset, d.split.spec.seed == spec.seed, d.split.spec.trainSize == spec.trainSize,
           d.split.spec.cleanPoolSize == spec.cleanPoolSize, d.split.spec.testSize == spec.testSize { return }
        let dataset = try Datasets.load(record.dataset, options: record.readOptions ?? ReadOptions(), cache: cache) { events(.log(.info, $0)) }
        let split = try spec.apply(to: dataset)
        let cleanSize = min(data?.clean.count ?? 64, split.cleanPool.count)
        data = SessionData(dataset: dataset, split: split, clean: Array(split.cleanPool.prefix(cleanSize)),
                           heldOut: Array(split.cleanPool.dropFirst(cleanSize)), maxLength: record.recipe.maxLength)
        events(.log(.info, "data from attack.json: \(dataset.name), clean \(cleanSize) (+\(split.cleanPool.count - cleanSize) held out), test \(split.test.count)"))
    }

    func setTrigger(_ c: Command) throws -> Outcome {
        let a = try TriggerArguments(c)
        let trigger = a.trigger
        var config = poison ?? PoisonConfig(trigger: trigger, seed: 1)
        config.trigger = trigger
        // Without target=: the hunt's target when it suspected this very trigger, else the one in force.
        if let target = a.target {
            let labels = data?.dataset.numLabels ?? current?.config.numLabels ?? 2
            guard target < labels else { throw FinemixError("trigger: target=\(target) is outside 0...\(labels - 1)") }
            config.targetLabel = target
        } else if poison == nil, let s = hunt?.candidate(trigger) {
            config.targetLabel = s.target
        }
        poison = config
        return Outcome(message: "ASR is measured with trigger \(trigger), target label \(config.targetLabel)")
    }

    /// The test set with the trigger inserted, for ASR (the hunt's suspect when no trigger is
    /// known; `asrBasis` says which); nil when there is neither.
    func asrSet() throws -> [Example]? {
        guard let config = asrConfig, let data else { return nil }
        return try Poisoner.asrTestSet(data.split.test, config: config, numLabels: data.dataset.numLabels)
    }
}
