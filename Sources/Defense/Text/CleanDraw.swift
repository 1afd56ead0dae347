import Foundation

/// Which sentences of the defender's pool a defence with seed s trains on. A defender does not
/// choose the particular clean sentences they happen to hold, so a seed that stands for "another
/// run" draws another clean set (issue 19: one pool of 256 removed a third of a backdoor where
/// others removed almost nothing); `fixed` is the one clean set of reports made before that.
public enum CleanDraw: String, Codable, Sendable, CaseIterable {
    /// A seeded sample of N from the pool, its own for each seed.
    case perSeed = "per-seed"
    /// The pool's first N for every seed.
    case fixed

    /// The clean set of `size` for `seed` and the rest of the pool (held out for the automatic ρ
    /// rule), both in the order drawn. `size` must be in 1...pool.count (callers check it, naming
    /// their option).
    public func draw(_ pool: [Example], size: Int, seed: UInt64) -> (clean: [Example], heldOut: [Example]) {
        let order: [Example]
        switch self {
        case .fixed: order = pool
        case .perSeed:
            var rng = SeededRandom(seed: seed, stream: "clean-set")
            order = rng.shuffled(pool)
        }
        return (Array(order.prefix(size)), Array(order.dropFirst(size)))
    }

    /// The sources of variance a ± over seeds includes, for the reports.
    public func varianceSources(splitSeeds: Int) -> [String] {
        var s = ["mixing mask", "shuffles", "dropout"]
        if self == .perSeed { s.append("clean set") }
        if splitSeeds > 1 { s.append("victim and split (\(splitSeeds) split seeds)") }
        return s
    }
}
