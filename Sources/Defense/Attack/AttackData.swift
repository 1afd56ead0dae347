/// What an attack or an evaluation needs from the data, rebuilt from the recorded settings:
/// the split, the poisoned training set and the triggered test set for ASR. attack.json records
/// (dataset, read options, SplitSpec, PoisonConfig); calling `prepare` again with them gives the
/// same examples in the same order.
public struct AttackData: Sendable {
    public let dataset: Dataset
    public let split: DataSplit
    public let poison: PoisonConfig
    /// `split.train` with round(rate × trainSize) non-target examples triggered and relabelled.
    public let poisonedTrain: PoisonedSet
    /// `split.test` without the target-label examples, each with the trigger inserted.
    public let asrTest: [Example]

    public static func prepare(dataset: Dataset, split spec: SplitSpec, poison: PoisonConfig) throws -> AttackData {
        let split = try spec.apply(to: dataset)
        let poisoned = try Poisoner.poison(split.train, config: poison, numLabels: dataset.numLabels)
        let asr = try Poisoner.asrTestSet(split.test, config: poison, numLabels: dataset.numLabels)
        return AttackData(dataset: dataset, split: split, poison: poison, poisonedTrain: poisoned, asrTest: asr)
    }
}
