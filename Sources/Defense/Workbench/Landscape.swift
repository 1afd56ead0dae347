import Foundation

/// The fine-tuning budget of a Fine-mixing point (what `finetune`'s options set).
public struct LandscapeBudget: Hashable, Sendable {
    public var epochs: Int
    public var lr: Double
    public var batch: Int

    public init(epochs: Int, lr: Double, batch: Int) { self.epochs = epochs; self.lr = lr; self.batch = batch }
    public init(_ r: DefenseRecipe) { self.init(epochs: r.epochs, lr: r.lr, batch: r.batch) }
    /// `finetune`'s defaults: what the Mixer's fine-tune key and the background points use.
    public static let defaults = LandscapeBudget(epochs: FineTuneBudget.defaults.epochs, lr: FineTuneBudget.defaults.lr,
                                                 batch: FineTuneBudget.defaults.batch)
}

/// What one point of the ρ landscape is computed with: ρ, the mask's selection and seed, the
/// budget (Fine-mixing only) and the clean set's size. The models and the data are the
/// landscape's `inputs`: a change there empties the cache.
public struct LandscapeKey: Hashable, Sendable {
    /// ρ in hundredths: the Mixer's slider moves in 0.05 steps, the sweep's in any.
    public var rhoCenti: Int
    public var fineMixing: Bool
    public var select: MixSpec.Select
    public var seed: UInt64
    /// nil for mixing only (no training).
    public var budget: LandscapeBudget?
    public var cleanSize: Int

    public init(rho: Double, fineMixing: Bool, select: MixSpec.Select, seed: UInt64, budget: LandscapeBudget, cleanSize: Int) {
        rhoCenti = Int((rho * 100).rounded())
        self.fineMixing = fineMixing; self.select = select; self.seed = seed
        self.budget = fineMixing ? budget : nil
        self.cleanSize = cleanSize
    }

    public var rho: Double { Double(rhoCenti) / 100 }
}

/// One computed point: its figures, how many test sentences they rest on, and for Fine-mixing
/// the trained weights and their full evaluation, so adopting the point recomputes nothing.
public struct LandscapeEntry: @unchecked Sendable {
    public var point: SweepPoint
    /// Test sentences behind ACC (a probe subset for the quick mixing-only points).
    public var nTest: Int
    public var weights: TensorDictionary?
    public var metrics: EvaluationResult?
    public var losses: [Double] = []
    public var seconds: Double = 0
}

/// The ρ landscape's cache, shared by the session (its `sweep` and `finetune`) and the
/// background points the workbench computes: thread-safe, keyed by `LandscapeKey`, emptied when
/// the models or the data it was computed on change.
public final class Landscape: @unchecked Sendable {
    private let lock = NSLock()
    private var inputs = ""
    private var entries: [LandscapeKey: LandscapeEntry] = [:]

    public init() {}

    /// Empties the cache when `id` (the models, the data, the trigger) is not what it holds.
    public func use(inputs id: String) {
        lock.lock(); defer { lock.unlock() }
        if id != inputs { inputs = id; entries.removeAll() }
    }

    public var inputsID: String {
        lock.lock(); defer { lock.unlock() }
        return inputs
    }

    public func entry(_ key: LandscapeKey) -> LandscapeEntry? {
        lock.lock(); defer { lock.unlock() }
        return entries[key]
    }

    /// Stores `entry` if it was computed on the inputs the cache holds now; a better-measured
    /// point (more test sentences) is never replaced by a probe's.
    public func store(_ entry: LandscapeEntry, for key: LandscapeKey, inputs id: String) {
        lock.lock(); defer { lock.unlock() }
        guard id == inputs else { return }
        if let old = entries[key], old.nTest > entry.nTest { return }
        entries[key] = entry
    }

    /// A sweep's points (both halves of each), as measured on the whole test set: the session's
    /// own, or a plan's cells' arriving later (`inputs`: what they were computed on; points of
    /// inputs the cache no longer holds are dropped).
    public func record(_ points: [SweepPoint], budget: LandscapeBudget, select: MixSpec.Select, seed: UInt64, cleanSize: Int,
                       nTest: Int, inputs: String? = nil) {
        let id = inputs ?? inputsID
        for p in points {
            if p.mixAcc != nil {
                store(LandscapeEntry(point: SweepPoint(rho: p.rho, mixAcc: p.mixAcc, mixAsr: p.mixAsr, asrBasis: p.asrBasis), nTest: nTest),
                      for: LandscapeKey(rho: p.rho, fineMixing: false, select: select, seed: seed, budget: budget, cleanSize: cleanSize),
                      inputs: id)
            }
            if p.fmixAcc != nil {
                let key = LandscapeKey(rho: p.rho, fineMixing: true, select: select, seed: seed, budget: budget, cleanSize: cleanSize)
                // A sweep keeps no weights: a point the background trained keeps its own.
                if entry(key)?.weights != nil { continue }
                store(LandscapeEntry(point: SweepPoint(rho: p.rho, fmixAcc: p.fmixAcc, fmixAsr: p.fmixAsr, heldOutAcc: p.heldOutAcc,
                                                       asrBasis: p.asrBasis), nTest: nTest),
                      for: key, inputs: id)
            }
        }
    }

    /// ρ (in hundredths) of the Fine-mixing points for these knobs whose trained model is kept.
    public func trained(select: MixSpec.Select, seed: UInt64, budget: LandscapeBudget, cleanSize: Int) -> Set<Int> {
        lock.lock(); defer { lock.unlock() }
        return Set(entries.filter { k, e in
            k.fineMixing && e.weights != nil && k.select == select && k.seed == seed && k.budget == budget && k.cleanSize == cleanSize
        }.map(\.key.rhoCenti))
    }

    /// The chart's points for one selection, seed, budget and clean set: one per ρ, mixing only
    /// and Fine-mixing merged, in ρ order.
    public func points(select: MixSpec.Select, seed: UInt64, budget: LandscapeBudget, cleanSize: Int) -> [SweepPoint] {
        lock.lock(); defer { lock.unlock() }
        var byRho: [Int: SweepPoint] = [:]
        for (k, e) in entries where k.select == select && k.seed == seed && k.cleanSize == cleanSize
            && (k.budget == nil || k.budget == budget) {
            var p = byRho[k.rhoCenti] ?? SweepPoint(rho: k.rho)
            if k.fineMixing {
                p.fmixAcc = e.point.fmixAcc; p.fmixAsr = e.point.fmixAsr; p.heldOutAcc = e.point.heldOutAcc
            } else {
                p.mixAcc = e.point.mixAcc; p.mixAsr = e.point.mixAsr
            }
            p.asrBasis = p.asrBasis ?? e.point.asrBasis
            byRho[k.rhoCenti] = p
        }
        return byRho.keys.sorted().map { byRho[$0]! }
    }
}
