import Foundation

/// How an epoch's examples are cut into batches. Part of the recipe recorded in attack.json and
/// defense.json ("batches"); a recipe written before the choice existed has none and means
/// `.shuffled`, so old victims and plans are re-made with the batches they were made with.
public enum BatchOrder: String, Sendable, Hashable, Codable, CaseIterable {
    /// Consecutive runs of the epoch's seeded shuffle, each padded to its longest sentence.
    case shuffled
    /// The same shuffle cut into pools of `poolBatches` batches; each pool sorted by length and cut
    /// into batches, and the batches of the epoch visited in a seeded order. A batch then holds
    /// sentences of about one length, so almost nothing is padding (half of a shuffled attacker
    /// batch on rt is), while which sentences meet in a batch still changes with every epoch's
    /// shuffle (HuggingFace's `group_by_length` does the same with its mega-batches).
    case lengthGrouped = "length-grouped"

    /// Batches per length-sorted pool (HuggingFace's mega-batch multiplier).
    public static let poolBatches = 50

    /// The recipes' default for new runs.
    public static let `default` = BatchOrder.lengthGrouped

    /// Epoch `epoch`'s batches: indices into `lengths` (one token count per example), every
    /// example once, `batch` per batch (the last batch of an epoch may be short).
    public func batches(lengths: [Int], batch: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        let n = lengths.count
        var rng = SeededRandom(seed: seed, stream: "fine-tune-epoch-\(epoch)")
        let order = rng.shuffled(Array(0..<n))
        let cut = { (list: [Int]) -> [[Int]] in
            stride(from: 0, to: list.count, by: batch).map { Array(list[$0..<min(list.count, $0 + batch)]) }
        }
        switch self {
        case .shuffled:
            return cut(order)
        case .lengthGrouped:
            let pool = batch * Self.poolBatches
            var grouped: [[Int]] = []
            for start in stride(from: 0, to: n, by: pool) {
                // Longest first within a pool; ties keep their shuffled order (sorting by position).
                let members = Array(order[start..<min(n, start + pool)].enumerated())
                let sorted = members.sorted { (lengths[$0.element], $1.offset) > (lengths[$1.element], $0.offset) }.map(\.element)
                grouped += cut(sorted)
            }
            var visit = SeededRandom(seed: seed, stream: "fine-tune-batches-\(epoch)")
            return visit.shuffled(grouped)
        }
    }
}
