import Foundation

/// The ρ landscape: what its points are computed on, the work that computes them off the
/// session's queue, and `finetune` taking a point already trained instead of training again.
extension Session {
    /// The models, the data and the trigger the landscape's points rest on: when any of them
    /// changes, the points cached so far are dropped.
    var landscapeInputsID: String {
        [pre?.url.path ?? "", victimFolder?.url.path ?? "", data.map { "\($0.dataset.name) \($0.split.spec) \($0.maxLength)" } ?? "",
         asrBasis.map { "\($0.trigger) \($0.target)" } ?? ""].joined(separator: "\u{1F}")
    }

    /// Everything a background thread needs to compute the landscape for one selection and
    /// seed, copied from the session; nil until a pre-trained model, a victim and data are loaded.
    public func landscapeWork(select: MixSpec.Select, seed: UInt64, budget: LandscapeBudget = .defaults) throws -> LandscapeWork? {
        guard let pre, let victim = victimFolder, let d = data, victim.hasHead else { return nil }
        landscape.use(inputs: landscapeInputsID)
        let asr = try asrSet()
        let basis = asr == nil ? nil : asrBasis
        let full = RhoSweep.Data(clean: d.clean, heldOut: [], test: d.split.test, asrSet: asr ?? [], basis: basis)
        let probe = RhoSweep.Data(clean: d.clean, heldOut: [], test: Array(d.split.test.prefix(LandscapeWork.probeSize)),
                                  asrSet: Array((asr ?? []).prefix(LandscapeWork.probeSize)), basis: basis)
        let recipe = DefenseRecipe(method: .finemix, rho: 1, select: select, cleanSize: d.clean.count, epochs: budget.epochs,
                                   lr: budget.lr, batch: budget.batch, seed: seed, maxLength: d.maxLength)
        return LandscapeWork(pre: pre, victim: victim, full: full, probe: probe, recipe: recipe, inputs: landscape.inputsID,
                             landscape: landscape)
    }

    /// The landscape's Fine-mixing point for `v` fine-tuned with `recipe`, when `v` is a plain mix
    /// of the victim (global ρ, the victim's head) with that seed and the point kept its weights.
    func cachedFineMixing(of v: Variant, recipe: FineTuneRecipe) -> LandscapeEntry? {
        guard let mix = v.mix, let base = v.mixBase, let victim, let d = data,
              base.name == victim.name, base.recipe == victim.recipe, mix.scope == .global, mix.layers.isEmpty,
              mix.head == .keep, mix.seed == recipe.seed, v.pruneMask.neurons.isEmpty, v.epur == nil,
              recipe.maxLength == d.maxLength else { return nil }
        landscape.use(inputs: landscapeInputsID)
        let key = LandscapeKey(rho: mix.rho, fineMixing: true, select: mix.select, seed: mix.seed,
                               budget: LandscapeBudget(epochs: recipe.epochs, lr: recipe.lr, batch: recipe.batch), cleanSize: d.clean.count)
        guard abs(key.rho - mix.rho) < 1e-9, let e = landscape.entry(key), e.weights != nil, e.metrics != nil else { return nil }
        return e
    }
}

/// The landscape's work for one selection, seed and budget: copies of what it reads, so it runs
/// on its own thread while the session goes on. Each point goes through `RhoSweep`, the pipeline
/// of `sweep`, and into the shared cache.
public final class LandscapeWork: @unchecked Sendable {
    /// Test (and ASR) sentences behind a quick mixing-only point.
    public static let probeSize = 100
    /// The ρ values charted: the slider's ticks.
    public static let rhos = (0...10).map { Double($0) / 10 }

    let pre: CheckpointFolder
    let victim: CheckpointFolder
    let full: RhoSweep.Data
    let probe: RhoSweep.Data
    public let recipe: DefenseRecipe
    public let inputs: String
    let landscape: Landscape
    /// The mixing-only points' probe, made by the first of them and kept for the others.
    private var mixing: MixingProbe?
    private var fullBefore: DefenseScore?

    init(pre: CheckpointFolder, victim: CheckpointFolder, full: RhoSweep.Data, probe: RhoSweep.Data, recipe: DefenseRecipe,
         inputs: String, landscape: Landscape) {
        self.pre = pre; self.victim = victim; self.full = full; self.probe = probe; self.recipe = recipe
        self.inputs = inputs; self.landscape = landscape
    }

    public var budget: LandscapeBudget { LandscapeBudget(recipe) }

    public func key(rho: Double, fineMixing: Bool) -> LandscapeKey {
        LandscapeKey(rho: rho, fineMixing: fineMixing, select: recipe.select, seed: recipe.seed, budget: budget,
                     cleanSize: full.clean.count)
    }

    /// The points not computed yet, in the order worth computing: every mixing-only point
    /// first (seconds each), then Fine-mixing from the slider's ρ outwards.
    public func missing(near rho: Double) -> [LandscapeKey] {
        let mixing = Self.rhos.map { key(rho: $0, fineMixing: false) }
        let fine = Self.rhos.sorted { abs($0 - rho) < abs($1 - rho) }.map { key(rho: $0, fineMixing: true) }
        return (mixing + fine).filter { landscape.entry($0) == nil }
    }

    /// Computes one point and stores it; waits while `cancel` is paused, stops when cancelled.
    public func compute(_ key: LandscapeKey, events: EventSink = { _ in }, cancel: CancellationFlag) throws {
        let started = Date()
        guard key.fineMixing else {
            // Mixing only: the probe's point, as a sweep's mixing cell computes it; nothing here
            // reads the victim's own score, so it is not measured.
            cancel.waitWhilePaused()
            let mixing = try self.mixing ?? MixingProbe(pre: pre, victim: victim, data: probe, recipe: recipe,
                                                        events: { e in if case .log = e { events(e) } })
            self.mixing = mixing
            var e = LandscapeEntry(point: try mixing.point(rho: key.rho, cancel: cancel), nTest: probe.test.count)
            e.seconds = Date().timeIntervalSince(started)
            landscape.store(e, for: key, inputs: inputs)
            return
        }
        let data = full
        var entry: LandscapeEntry?
        let r = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                 options: RhoSweep.Options(rhos: [key.rho], mixing: false, fineMixing: true, recipe: recipe),
                                 before: fullBefore, events: events, cancel: cancel) { cell in
            var e = LandscapeEntry(point: cell.point, nTest: data.test.count)
            if let out = cell.fineMixing {
                e.weights = TensorDictionary(out.model.params.export())
                e.losses = out.result.loss
                let a = out.result.after
                e.metrics = EvaluationResult(acc: a.acc, asr: a.asr, nTest: a.nTest, nCorrect: Int((a.acc * Double(a.nTest)).rounded()),
                                             nPoisonedTest: a.nAsr, nPoisonedToTarget: Int(((a.asr ?? 0) * Double(a.nAsr)).rounded()),
                                             targetLabel: a.asr == nil ? nil : data.basis?.target)
                e.metrics?.asrBasis = a.asrBasis
            }
            e.seconds = Date().timeIntervalSince(started)
            entry = e
        }
        fullBefore = r.before
        if let entry { landscape.store(entry, for: key, inputs: inputs) }
    }
}
