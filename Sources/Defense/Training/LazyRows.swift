import Foundation

/// AdamW on one table (the word embeddings) row by row, only when a batch reads the row.
///
/// A fine-tune on 64 sentences reads a few hundred of MiniLM's 30,522 rows, yet a dense step
/// reads and writes all of them (weights, gradient, two moments: 47 MB each) and zeroes and
/// measures their gradient. A row whose gradient is zero still moves under AdamW: its moments
/// decay (m ← m + (1−β₁)(0 − m), v ← β₂v) and the weight takes the decayed step and the weight
/// decay. That update depends only on the row's own values and the step's constants, so it can
/// be deferred: each row remembers the step it is current to, and is brought forward (`catchUp`)
/// by replaying the missed steps with a zero gradient, through the same `AdamW.element` as the
/// dense pass, in the same order, so the weights are the same bits as the dense step's.
/// Rows are brought current before a batch reads them and all of them by `synchronize()`, which
/// the training loop calls before anything else reads the weights (probe, end, error, cancel).
public final class LazyRows: @unchecked Sendable {
    /// The table's range in the flat buffer, its row width, and whether it decays.
    public let table: Range<Int>
    public let width: Int
    public let decays: Bool
    /// Per row: the number of optimizer steps its values hold.
    private var current: [Int32]
    /// Constants of step k + 1 at index k.
    private var history: [AdamW.StepConstants] = []
    /// The rows of the step under way (sorted, unique): their gradient is the only non-zero part.
    public private(set) var rows: [Int] = []
    /// Per row: whether it is one of `rows`.
    private var inStep: [Bool]

    /// nil when `segments` do not train the whole table (frozen, or EP's chosen rows).
    public init?(table: Range<Int>, width: Int, segments: [Freezing.Segment]) {
        guard width > 0, table.count % width == 0,
              let seg = segments.first(where: { $0.range.lowerBound <= table.lowerBound && table.upperBound <= $0.range.upperBound })
        else { return nil }
        self.table = table; self.width = width; decays = seg.decays
        current = [Int32](repeating: 0, count: table.count / width)
        inStep = [Bool](repeating: false, count: table.count / width)
    }

    public var rowCount: Int { current.count }

    /// `segments` without the table.
    func outside(_ segments: [Freezing.Segment]) -> [Freezing.Segment] {
        var out: [Freezing.Segment] = []
        for s in segments {
            let lo = s.range.lowerBound, hi = s.range.upperBound
            if hi <= table.lowerBound || lo >= table.upperBound { out.append(s); continue }
            if lo < table.lowerBound { out.append(Freezing.Segment(range: lo..<table.lowerBound, decays: s.decays)) }
            if hi > table.upperBound { out.append(Freezing.Segment(range: table.upperBound..<hi, decays: s.decays)) }
        }
        return out
    }

    /// Starts a step on a batch reading `ids`: the rows are brought current and become the
    /// step's rows. The previous step's rows' gradient is zeroed (the rest of the table's
    /// gradient is zero already); the caller zeroes the gradient outside the table.
    public func begin(ids: [Int32], optimizer: AdamW, params: FlatBuffer, grads: FlatBuffer) {
        zeroGradient(grads)
        for r in rows { inStep[r] = false }
        var seen = Set<Int>()
        for id in ids where id >= 0 && Int(id) < rowCount { seen.insert(Int(id)) }
        rows = seen.sorted()
        for r in rows { inStep[r] = true }
        catchUp(rows, optimizer: optimizer, params: params)
    }

    /// Zeroes the gradient of the step's rows.
    func zeroGradient(_ grads: FlatBuffer) { zeroRows(rows, in: grads) }

    /// Zeroes the gradient of table rows `rows`.
    func zeroRows(_ rows: [Int], in grads: FlatBuffer) {
        for r in rows { grads[table.lowerBound + r * width].update(repeating: 0, count: width) }
    }

    /// Whether the flat range lo..<hi lies in the table and meets none of the step's rows (so
    /// its gradient is zero).
    func holdsNoStepRow(_ lo: Int, _ hi: Int) -> Bool {
        guard lo >= table.lowerBound, hi <= table.upperBound, hi > lo else { return false }
        for r in ((lo - table.lowerBound) / width)...((hi - 1 - table.lowerBound) / width) where inStep[r] { return false }
        return true
    }

    func scaleGradient(_ grads: FlatBuffer, by c: Float) {
        for r in rows {
            let g = grads[table.lowerBound + r * width]
            for j in 0..<width { g[j] *= c }
        }
    }

    /// The step's update of its rows (current to the step before), with their gradient.
    func step(_ k: AdamW.StepConstants, params: FlatBuffer, grads: FlatBuffer, optimizer: AdamW) {
        history.append(k)
        let s = optimizer.settings, decay = optimizer.decay(k, decays: decays)
        let p = params.base, g = grads.base, m = optimizer.m.base, v = optimizer.v.base
        let step = Int32(history.count), lo = table.lowerBound, W = width
        rows.withUnsafeBufferPointer { rs in
            current.withUnsafeMutableBufferPointer { cur in
                Parallel.forRange(rs.count, grain: W) { range in
                    for i in range {
                        let r = rs[i], base = lo + r * W
                        AdamW.elements(p, m, v, from: base, count: W, g: g, b1: s.beta1, b2: s.beta2, eps: s.eps, decay: decay, k: k)
                        cur[r] = step
                    }
                }
            }
        }
    }

    /// Replays, for each of `rows`, the steps it missed with a zero gradient.
    func catchUp(_ rows: [Int], optimizer: AdamW, params: FlatBuffer) {
        let s = optimizer.settings
        let p = params.base, m = optimizer.m.base, v = optimizer.v.base
        let lo = table.lowerBound, W = width, steps = history.count, decays = decays
        history.withUnsafeBufferPointer { hist in
            rows.withUnsafeBufferPointer { rs in
                current.withUnsafeMutableBufferPointer { cur in
                    Parallel.forRange(rs.count, grain: W) { range in
                        for i in range {
                            let r = rs[i]
                            let from = Int(cur[r])
                            if from == steps { continue }
                            let base = lo + r * W
                            for t in from..<steps {
                                let k = hist[t]
                                let decay = optimizer.decay(k, decays: decays)
                                AdamW.elements(p, m, v, from: base, count: W, g: nil, b1: s.beta1, b2: s.beta2, eps: s.eps, decay: decay, k: k)
                            }
                            cur[r] = Int32(steps)
                        }
                    }
                }
            }
        }
    }

    /// Brings every row current: the weights are then those of the dense steps.
    public func synchronize(optimizer: AdamW, params: FlatBuffer) {
        catchUp(Array(0..<rowCount), optimizer: optimizer, params: params)
    }
}
