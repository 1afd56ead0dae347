import Foundation

/// Mixing only at many ρ of one victim on one set of sentences: a sweep's mixing cells and the
/// Mixer's landscape. A point is `DefenseRun`'s `.mix` (the same checks, the same mixed weights,
/// the same evaluation, so the same bits), without redoing per ρ what does not depend on ρ: the
/// checks, E-PUR, the tokenizer, the parameter buffer and the evaluator's activations (a
/// mixing-only point of MiniLM spent a tenth of its time making those again).
///
/// One buffer serves every ρ: each load writes every tensor the source holds, and a tensor it
/// lacks (a missing pooler) is never written, so it keeps the value a fresh buffer would have.
/// Not thread-safe: one point at a time.
public final class MixingProbe: @unchecked Sendable {
    let pre: CheckpointFolder
    let victim: CheckpointFolder
    public let data: RhoSweep.Data
    /// The selection, seed, E-PUR and token limit of every point (its method and ρ are set per point).
    public let recipe: DefenseRecipe
    private let base: any TensorSource
    /// The weights of the last point measured.
    let params: BertParameters
    private let evaluator: Evaluator
    private var victimScore: DefenseScore?

    public init(pre: CheckpointFolder, victim: CheckpointFolder, data: RhoSweep.Data, recipe: DefenseRecipe, tokenizer: Tokenizer? = nil,
                events: EventSink = { _ in }) throws {
        var recipe = recipe
        recipe.method = .mix
        try DefenseRun.check(pre: pre, victim: victim, clean: data.clean, test: data.test, recipe: recipe)
        self.pre = pre; self.victim = victim; self.data = data; self.recipe = recipe
        base = try DefenseRun.purifiedWeights(pre: pre, victim: victim, clean: data.clean, recipe: recipe, events: events).source
        params = BertParameters(config: victim.config)
        evaluator = try Evaluator(model: BertModel(params: params), tokenizer: tokenizer ?? Tokenizer(vocabURL: victim.vocabURL),
                                  maxLength: recipe.maxLength, precision: recipe.evaluation ?? .fp32)
    }

    /// The victim's ACC/ASR on these sentences (a defence's "before"), measured once. It is also
    /// the ρ = 1 point, which keeps every weight of the victim.
    public func before() throws -> DefenseScore {
        if let victimScore { return victimScore }
        guard try params.load(from: victim.weights).loadedClassifier else {
            throw FinemixError("\(victim.url.path) has no classifier head (classifier.weight): it is a bare encoder, not a fine-tuned classifier")
        }
        let s = try measure()
        victimScore = s
        return s
    }

    /// ACC/ASR of the victim mixed at `rho`, as mixed.
    public func score(rho: Double, cancel: CancellationFlag? = nil) throws -> DefenseScore {
        var r = recipe
        r.rho = rho
        try r.validate()
        try cancel?.check()
        // ρ = 1 keeps every weight (all selections) and E-PUR's rows are then the only change.
        if rho == 1, !recipe.epur { return try before() }
        guard let mixed = try DefenseRun.mixedWeights(pre: pre, base: base, recipe: r) else { throw FinemixError("mix: nothing to mix") }
        guard try params.load(from: mixed).loadedClassifier else {
            throw FinemixError("\(victim.url.path): the defended weights have no classifier head")
        }
        try cancel?.check()
        return try measure()
    }

    /// The sweep's mixing-only half of the point at `rho`.
    public func point(rho: Double, cancel: CancellationFlag? = nil) throws -> SweepPoint {
        let s = try score(rho: rho, cancel: cancel)
        var p = SweepPoint(rho: rho, mixAcc: s.acc, mixAsr: s.asr, asrBasis: data.basis)
        if p.asr == nil { p.asrBasis = nil }
        return p
    }

    private func measure() throws -> DefenseScore {
        DefenseScore(try evaluator.evaluate(test: data.test, asrSet: data.asrSet, targetLabel: data.basis?.target ?? 0), basis: data.basis)
    }
}
