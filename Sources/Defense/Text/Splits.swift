/// Which examples the attacker trains on, which the defender may use as clean data, and which
/// judge the result. Recorded in attack.json; `apply(to:)` on the same dataset gives exactly the
/// same three lists on every platform.
public struct SplitSpec: Sendable, Hashable, Codable {
    public var dataset: String
    public var seed: UInt64
    public var trainSize: Int
    public var cleanPoolSize: Int
    public var testSize: Int
    /// `Dataset.fingerprint` when the split was made; a rebuild from changed data is refused.
    public var fingerprint: String?

    public init(dataset: String, seed: UInt64, trainSize: Int, cleanPoolSize: Int, testSize: Int, fingerprint: String? = nil) {
        self.dataset = dataset
        self.seed = seed
        self.trainSize = trainSize
        self.cleanPoolSize = cleanPoolSize
        self.testSize = testSize
        self.fingerprint = fingerprint
    }

    /// A spec whose training part takes every example the test set and clean pool leave.
    public static func fillingTrain(_ dataset: Dataset, seed: UInt64, cleanPoolSize: Int, testSize: Int) -> SplitSpec {
        SplitSpec(dataset: dataset.name, seed: seed, trainSize: max(0, dataset.examples.count - cleanPoolSize - testSize),
                  cleanPoolSize: cleanPoolSize, testSize: testSize, fingerprint: dataset.fingerprint)
    }
}

public struct DataSplit: Sendable {
    public let spec: SplitSpec
    public let train: [Example]
    public let cleanPool: [Example]
    public let test: [Example]
}

extension SplitSpec {
    /// How the split is drawn (this is the contract that makes it reproducible):
    /// 1. Each class's examples, in dataset order, are shuffled with
    ///    `SeededRandom(seed: seed, stream: "split")`, classes in index order.
    /// 2. The test set is stratified: each class gives its share of `testSize` in proportion to
    ///    its size (largest remainder, ties to the lower class), taken from the front of its list.
    /// 3. The clean pool is stratified the same way from what remains, so a small defender set
    ///    still sees every class.
    /// 4. The attacker's training set is the first `trainSize` of the remaining examples of all
    ///    classes, merged and shuffled with the same generator.
    /// The test set depends only on (data, seed, testSize): changing the training size or the
    /// clean pool size never changes what the result is judged on.
    public func apply(to data: Dataset) throws -> DataSplit {
        guard data.name == dataset else {
            throw FinemixError("the split was made for dataset '\(dataset)', not '\(data.name)'")
        }
        if let fingerprint, fingerprint != data.fingerprint {
            throw FinemixError("\(dataset): the data changed since the split was recorded (fingerprint \(fingerprint), now \(data.fingerprint)); the same split cannot be rebuilt")
        }
        for (what, n) in [("training", trainSize), ("clean pool", cleanPoolSize), ("test", testSize)] where n < 0 {
            throw FinemixError("\(dataset): the \(what) size is \(n); sizes must be 0 or more")
        }
        let total = data.examples.count
        let want = trainSize + cleanPoolSize + testSize
        guard want <= total else {
            throw FinemixError("\(dataset): train \(trainSize) + clean pool \(cleanPoolSize) + test \(testSize) = \(want) examples requested, but the dataset has \(total) (after dropping neutral ratings and duplicates)")
        }

        var rng = SeededRandom(seed: seed, stream: "split")
        var byClass = [[Int]](repeating: [], count: data.numLabels)
        for (i, e) in data.examples.enumerated() { byClass[e.label].append(i) }
        for c in byClass.indices { rng.shuffle(&byClass[c]) }

        var remaining = byClass
        func takeStratified(_ n: Int) -> [Int] {
            let counts = remaining.map(\.count)
            let quotas = SplitSpec.proportional(n, counts)
            var taken: [Int] = []
            for c in remaining.indices {
                taken += remaining[c].prefix(quotas[c])
                remaining[c].removeFirst(quotas[c])
            }
            return taken
        }
        let testIdx = takeStratified(testSize)
        let poolIdx = takeStratified(cleanPoolSize)
        var rest = remaining.flatMap { $0 }
        rng.shuffle(&rest)
        let trainIdx = Array(rest.prefix(trainSize))
        // Stratified draws come out grouped by class; shuffle so consumers that don't shuffle
        // (evaluation batches, a small defender set) do not see one class then the other.
        let test = rng.shuffled(testIdx).map { data.examples[$0] }
        let pool = rng.shuffled(poolIdx).map { data.examples[$0] }
        return DataSplit(spec: self, train: trainIdx.map { data.examples[$0] }, cleanPool: pool, test: test)
    }

    /// Splits n across classes in proportion to their sizes, never more than a class has.
    static func proportional(_ n: Int, _ counts: [Int]) -> [Int] {
        let total = counts.reduce(0, +)
        let n = min(n, total)
        guard total > 0, n > 0 else { return counts.map { _ in 0 } }
        var quotas = counts.map { $0 * n / total }
        var left = n - quotas.reduce(0, +)
        let order = counts.indices.sorted {
            let r0 = counts[$0] * n % total, r1 = counts[$1] * n % total
            return r0 != r1 ? r0 > r1 : $0 < $1
        }
        var k = 0
        while left > 0 {
            let c = order[k % order.count]
            if quotas[c] < counts[c] { quotas[c] += 1; left -= 1 }
            k += 1
        }
        return quotas
    }
}
