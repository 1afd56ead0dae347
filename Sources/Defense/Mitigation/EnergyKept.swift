import Foundation

/// How much of each layer group's ‖Δ‖² (Δ = victim − pre) a mix keeps, as a curve over ρ: the
/// Mixer's preview. Kept counts say how many entries a mix keeps (`keptFractions`); this says how
/// much of the fine-tuning's change they carry, which is what differs between the rules: at ρ 0.3
/// `largest` keeps far more than 30% of ‖Δ‖², `smallest` far less.
///
/// Exact for the masks MixedWeights draws: `largest`/`smallest` keep the round(ρ·n) entries of
/// each tensor with the largest/smallest |Δ|; `random` keeps entry j iff bits(key, j) >> 11 <
/// threshold(ρ), so one pass that files each entry's Δ² under the first grid ρ keeping it gives
/// the whole curve for that seed.
public struct EnergyKept: Sendable, Equatable {
    /// Per layer group (LayerGroups' names, model order): kept fraction of ‖Δ‖² at ρ = i/steps.
    public var layers: [String: [MixSpec.Select: [Double]]]
    public var steps: Int

    /// Reads every tensor both models share once; seconds on a MiniLM, so callers run it off the
    /// UI thread and keep the result per model pair.
    public static func measure(pre: any TensorSource, victim: any TensorSource, seed: UInt64 = 1,
                               steps: Int = 20) throws -> EnergyKept {
        let layout = try MixLayout(pre: pre, victim: victim, spec: MixSpec(rho: 1))
        let grid = (0...steps).map { Double($0) / Double(steps) }
        let thresholds = grid.map(SeededRandom.bernoulliThreshold)
        // Per group: total ‖Δ‖², kept at each grid ρ for each rule.
        var total: [String: Double] = [:]
        var kept: [String: [MixSpec.Select: [Double]]] = [:]
        var a = [Float](), b = [Float](), sq = [Float]()
        for e in layout.mixed {
            a = [Float](repeating: 0, count: e.count)
            b = [Float](repeating: 0, count: e.count)
            try a.withUnsafeMutableBufferPointer { try pre.readFloats(e.name, into: $0) }
            try b.withUnsafeMutableBufferPointer { try victim.readFloats(e.name, into: $0) }
            sq = zip(a, b).map { ($1 - $0) * ($1 - $0) }
            // Random: bucket[i] = Δ² of entries first kept at grid[i] (kept at ρ iff u < threshold).
            var bucket = [Double](repeating: 0, count: grid.count)
            let key = MixLayout.maskKey(seed: seed, tensor: e.name)
            for j in 0..<e.count where sq[j] > 0 {
                let u = SeededRandom.bits(key: key, index: UInt64(j)) >> 11
                var i = 0
                while i < thresholds.count && !(u < thresholds[i]) { i += 1 }
                if i < bucket.count { bucket[i] += Double(sq[j]) }
            }
            // Ranked: prefix sums of Δ² sorted descending give largest-k; smallest-k is the rest.
            sq.sort(by: >)
            var prefix = [Double](repeating: 0, count: e.count + 1)
            for j in 0..<e.count { prefix[j + 1] = prefix[j] + Double(sq[j]) }
            let sum = prefix[e.count]
            var g = kept[e.group] ?? [.random: Array(repeating: 0, count: grid.count),
                                      .largest: Array(repeating: 0, count: grid.count),
                                      .smallest: Array(repeating: 0, count: grid.count)]
            var running = 0.0
            for (i, rho) in grid.enumerated() {
                running += bucket[i]
                let k = min(e.count, max(0, Int((rho * Double(e.count)).rounded())))
                g[.random]![i] += running
                g[.largest]![i] += prefix[k]
                g[.smallest]![i] += sum - prefix[e.count - k]
            }
            kept[e.group] = g
            total[e.group, default: 0] += sum
        }
        var layers: [String: [MixSpec.Select: [Double]]] = [:]
        for (group, curves) in kept {
            let t = total[group] ?? 0
            // A layer fine-tuning never moved keeps "all" of its zero change.
            layers[group] = curves.mapValues { c in c.map { t > 0 ? min(1, $0 / t) : 1 } }
        }
        return EnergyKept(layers: layers, steps: steps)
    }
}
