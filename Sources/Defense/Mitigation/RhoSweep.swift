import Foundation

/// One ρ of a sweep: mixing only and, when it ran, Fine-mixing (mixed, then fine-tuned on the
/// clean set). `finemix sweep`, the workbench's `sweep`, a plan's sweep cells and the Mixer's
/// landscape all produce these, through `RhoSweep`. Stable snake_case keys: the sweep's JSON.
public struct SweepPoint: Sendable, Equatable, Codable {
    public var rho: Double
    /// Mixing only; nil when only Fine-mixing was measured (the landscape's background points).
    public var mixAcc: Double?
    public var mixAsr: Double?
    public var fmixAcc: Double?
    public var fmixAsr: Double?
    /// ACC on the held-out clean data after Fine-mixing (what the automatic rules keep).
    public var heldOutAcc: Double?
    /// Estimated ASR after Fine-mixing: the highest of the automatic rule's triggers inserted
    /// into the held-out clean data (nil: no such trigger, or no held-out data).
    public var heldOutAsr: Double?
    /// The trigger behind the ASR figures; `estimated` when it is the hunt's suspect.
    public var asrBasis: ASRBasis?

    public init(rho: Double, mixAcc: Double? = nil, mixAsr: Double? = nil, fmixAcc: Double? = nil, fmixAsr: Double? = nil,
                heldOutAcc: Double? = nil, heldOutAsr: Double? = nil, asrBasis: ASRBasis? = nil) {
        self.rho = rho; self.mixAcc = mixAcc; self.mixAsr = mixAsr; self.fmixAcc = fmixAcc; self.fmixAsr = fmixAsr
        self.heldOutAcc = heldOutAcc; self.heldOutAsr = heldOutAsr; self.asrBasis = asrBasis
    }

    enum CodingKeys: String, CodingKey {
        case rho, mixAcc = "mix_acc", mixAsr = "mix_asr", fmixAcc = "finemix_acc", fmixAsr = "finemix_asr"
        case heldOutAcc = "held_out_acc", heldOutAsr = "held_out_asr", asrBasis = "asr_basis"
    }

    /// Whether Fine-mixing ran at this ρ.
    public var finetuned: Bool { fmixAcc != nil }
    /// The defence's figures: Fine-mixing's when it ran, else mixing only's.
    public var acc: Double { fmixAcc ?? mixAcc ?? .nan }
    public var asr: Double? { finetuned ? fmixAsr : mixAsr }
}

/// THE ρ sweep: for each ρ, mixing only and Fine-mixing as `DefenseRun` runs them (the same checks,
/// the same mask, the same fine-tuning loop), and the held-out clean ACC the automatic rule reads.
public enum RhoSweep {
    /// What is measured at each ρ.
    public struct Options: Sendable, Equatable {
        public var rhos: [Double]
        /// Mixing only, evaluated as mixed.
        public var mixing: Bool
        /// Mixed, then fine-tuned on the clean set.
        public var fineMixing: Bool
        /// The mixing selection, E-PUR, budget and seed of every cell (its method and ρ are set per cell).
        public var recipe: DefenseRecipe

        public init(rhos: [Double], mixing: Bool = true, fineMixing: Bool = true, recipe: DefenseRecipe) {
            self.rhos = rhos; self.mixing = mixing; self.fineMixing = fineMixing; self.recipe = recipe
        }
    }

    /// The sentences a sweep measures with.
    public struct Data: Sendable {
        public var clean: [Example]
        /// Held out from the clean pool for the automatic rule; empty: no held-out ACC.
        public var heldOut: [Example]
        public var test: [Example]
        public var asrSet: [Example]
        public var basis: ASRBasis?
        /// The automatic rule's triggers on the held-out sentences (empty: no estimated ASR).
        public var heldOutTriggers: [HeldOutTrigger]

        public init(clean: [Example], heldOut: [Example], test: [Example], asrSet: [Example], basis: ASRBasis?,
                    heldOutTriggers: [HeldOutTrigger] = []) {
            self.clean = clean; self.heldOut = heldOut; self.test = test; self.asrSet = asrSet; self.basis = basis
            self.heldOutTriggers = heldOutTriggers
        }
    }

    /// One ρ done: its point, the victim's score, and the Fine-mixing defence (its model) when it ran.
    public struct Cell {
        public var point: SweepPoint
        public var before: DefenseScore
        public var fineMixing: DefenseRun.Outcome?
    }

    public struct Result: Sendable {
        public var before: DefenseScore
        public var points: [SweepPoint]
        /// Fine-tuning steps of each Fine-mixing cell (0 with mixing only).
        public var steps: Int
    }

    /// `before`: the victim's score when already measured. `onCell` sees each ρ as it is done, in
    /// order. Between cells (and fine-tuning steps) it waits while `cancel` is paused.
    public static func run(pre: CheckpointFolder, victim: CheckpointFolder, data: Data, options: Options, before: DefenseScore? = nil,
                           events: EventSink = { _ in }, cancel: CancellationFlag? = nil,
                           onCell: (Cell) throws -> Void = { _ in }) throws -> Result {
        guard options.mixing || options.fineMixing else { throw FinemixError("sweep: neither mixing only nor Fine-mixing was asked for") }
        var before = before
        var points: [SweepPoint] = []
        var steps = 0
        // One tokenizer for every cell (it reads the vocabulary file), one probe for every mixing cell.
        let tokenizer = try Tokenizer(vocabURL: victim.vocabURL)
        let mixing = options.mixing && !options.rhos.isEmpty
            ? try MixingProbe(pre: pre, victim: victim, data: data, recipe: options.recipe, tokenizer: tokenizer,
                              events: { e in if case .log = e { events(e) } })
            : nil
        for (i, rho) in options.rhos.enumerated() {
            cancel?.waitWhilePaused()
            try cancel?.check()
            events(.progress(job: "sweep", fraction: Double(i) / Double(options.rhos.count), detail: "ρ = \(AutomaticRho.fmtRho(rho))"))
            func defend(_ method: DefenseRecipe.Method) throws -> DefenseRun.Outcome {
                var recipe = options.recipe
                recipe.method = method
                recipe.rho = rho
                let out = try DefenseRun.run(pre: pre, victim: victim, clean: data.clean, test: data.test, asrSet: data.asrSet,
                                             targetLabel: data.basis?.target ?? 0, recipe: recipe, before: before,
                                             asrBasis: data.basis, tokenizer: tokenizer,
                                             // the cell's own progress stays inside; the sweep reports by ρ
                                             events: { e in if case .log = e { events(e) } }, cancel: cancel)
                before = out.result.before
                return out
            }
            var p = SweepPoint(rho: rho, asrBasis: data.basis)
            if let mixing {
                p = try mixing.point(rho: rho, cancel: cancel)
                p.asrBasis = data.basis
                if before == nil { before = try mixing.before() }
            }
            var fineMixed: DefenseRun.Outcome?
            if options.fineMixing {
                let out = try defend(.finemix)
                fineMixed = out
                p.fmixAcc = out.result.after.acc
                p.fmixAsr = out.result.after.asr
                steps = out.result.steps
                if !data.heldOut.isEmpty {
                    let evaluator = try Evaluator(model: out.model, tokenizer: tokenizer, maxLength: options.recipe.maxLength,
                                                  precision: options.recipe.evaluation ?? .fp32)
                    p.heldOutAcc = try evaluator.evaluate(test: data.heldOut, targetLabel: nil).acc
                    // The rule guards against the worst suspect: the highest of their ASRs.
                    for t in data.heldOutTriggers where !t.set.isEmpty {
                        let hits = try evaluator.predict(t.set).labels.filter { $0 == t.basis.target }.count
                        p.heldOutAsr = max(p.heldOutAsr ?? 0, Double(hits) / Double(t.set.count))
                    }
                }
            }
            if p.asr == nil { p.asrBasis = nil }
            points.append(p)
            events(.point(p))
            try onCell(Cell(point: p, before: before!, fineMixing: fineMixed))
        }
        guard let before else { throw FinemixError("sweep: no value of ρ to sweep") }
        return Result(before: before, points: points, steps: steps)
    }

    /// The automatic ρ before `AutomaticRho` (kept for `sweep` without `--rho auto` and for
    /// comparison): the smallest ρ whose ACC on held-out clean data (after Fine-mixing) is
    /// within a flat `tolerance` of the victim's (ρ = 1); clean data only, ASR ignored.
    public static func automaticRho(_ points: [SweepPoint], tolerance: Double = 0.02) -> Double? {
        guard let reference = points.first(where: { $0.rho == 1 })?.heldOutAcc else { return nil }
        return points.filter { ($0.heldOutAcc ?? -1) >= reference - tolerance }.map(\.rho).min()
    }
}
