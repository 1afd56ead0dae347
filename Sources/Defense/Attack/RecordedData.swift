import Foundation

extension AttackRecord {
    /// The victim's data as the attack used it: the dataset read the recorded way, the recorded
    /// split, the poisoned training set and the triggered test set, example for example.
    public func recordedData(cache: ResourceCache, progress: (String) -> Void = { _ in }) throws -> AttackData {
        let data = try Datasets.load(dataset, options: readOptions ?? ReadOptions(), cache: cache, progress: progress)
        return try AttackData.prepare(dataset: data, split: split.spec, poison: recipe.poison)
    }
}
