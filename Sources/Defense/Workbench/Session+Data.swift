import Foundation

/// The data a victim's attack.json names.
extension Session {
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
}
